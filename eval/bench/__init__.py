"""`minfu bench`: the benchmark suite — ingest throughput, search latency at scale, chat latency, HTTP load and the
service's memory, each measured in this process (or a service it starts) and reported as figures, not verdicts.

Sections live in their own modules (ingest, search_scaling, chat, memory; HTTP load is eval/bench_http.py) and
`suite.run_suite` runs the chosen ones in order.
"""
