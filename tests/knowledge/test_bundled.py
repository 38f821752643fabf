from pathlib import Path

from knowledge.bundled import BUNDLED_LABEL, bundled_corpus_path, display_source


def test_bundled_texts_are_shown_by_their_place_in_the_corpus() -> None:
    law = next((bundled_corpus_path() / "laws" / "national").glob("公司法*.md"))
    assert display_source(str(law)) == f"{BUNDLED_LABEL}/laws/national/{law.name}"


def test_other_sources_are_shown_as_they_are(tmp_path: Path) -> None:
    own = tmp_path / "指南.pdf"
    assert display_source(str(own)) == str(own)
    assert display_source("https://www.shanghai.gov.cn/x.html") == "https://www.shanghai.gov.cn/x.html"
