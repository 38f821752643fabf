"""Knowledge base: loaders, chunking, embedders, indexes, retrieval and ingest."""
