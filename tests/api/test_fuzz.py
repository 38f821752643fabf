"""Schemathesis against the app's own OpenAPI document, in process: at least 500 generated requests, not one 5xx.

The app runs over the bundled corpus (lexical side), once on SQLite and once on PostgreSQL (MINFU_TEST_PG_URL, a
fresh schema; skipped when the server cannot be reached), in development (so POST /v1/dev/token is in the document),
with rate limits off so that requests are not turned into 429s. Every operation is fuzzed in turn:

- signed in: a real site key from an allowed Origin, a valid enterprise token, an administrator's API key, and valid
  data (now and then naming a conversation, handoff or curated answer that exists, so handlers go past their 404);
- the same with a staff key (operations taking X-API-Key);
- invalid data (schemathesis's negative mode) with valid credentials: each must be refused with a documented 4xx;
- the real site key with made-up or missing tokens and API keys, then every credential made up or missing: an API
  key or site key that is not real must be refused (401/403).

Every answer is checked: no 5xx, a documented status code, content type and body schema. Hypothesis runs
derandomized, so a run is reproducible; the request count and status histogram are printed (`pytest -s`).
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, CheckFunction, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.python.asgi import get_client, shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from api.app import create_app
from api.identity import issue_token
from knowledge.base import KnowledgeBase
from knowledge.bundled import bundled_corpus_path
from knowledge.chunking import Chunker
from knowledge.ingest import Ingestor
from knowledge.loaders import load_paths
from minfu.settings import Settings
from tools.store.uscc import check_char

Operation = APIOperation[Any, Any, Any, Any]
AnyCase = Case[Any]
MIN_REQUESTS = 500
PG_URL = os.environ.get("MINFU_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ORIGIN = "https://portal.example.gov.cn"
ENTERPRISE = "91310112MA1000061" + check_char("91310112MA1000061")
DOCUMENTED: tuple[CheckFunction, ...] = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)
KNOWN_ID_SHARE = 8  # one case in about this many names a record that exists, when one is known


@dataclass
class World:
    """The app, its document as schemathesis loaded it, real credentials and records that exist."""

    app: Any
    schema: OpenApiSchema
    headers: dict[str, str]  # every credential, valid; the administrator's key
    staff_key: str
    known: dict[str, list[Any]] = field(default_factory=dict)  # parameter or body field name -> existing values


@dataclass(frozen=True)
class Scenario:
    name: str
    mode: GenerationMode
    fixed: tuple[str, ...]  # the World's headers sent as they are; other declared headers are generated or left out
    max_examples: int
    staff: bool = False  # the staff key instead of the administrator's
    only_header: str | None = None  # fuzz only the operations declaring this header
    use_known_ids: bool = False
    checks: tuple[CheckFunction, ...] = DOCUMENTED


ALL_CREDENTIALS = ("X-Site-Key", "Origin", "Authorization", "X-API-Key")
SCENARIOS = (
    Scenario("signed in, administrator", GenerationMode.POSITIVE, ALL_CREDENTIALS, 30, use_known_ids=True),
    Scenario(
        "signed in, staff",
        GenerationMode.POSITIVE,
        ALL_CREDENTIALS,
        12,
        staff=True,
        only_header="X-API-Key",
        use_known_ids=True,
    ),
    Scenario(
        "invalid data", GenerationMode.NEGATIVE, ALL_CREDENTIALS, 15, checks=(*DOCUMENTED, negative_data_rejection)
    ),
    Scenario("real site, made-up token and key", GenerationMode.POSITIVE, ("X-Site-Key", "Origin"), 10),
    Scenario("no real credential", GenerationMode.POSITIVE, (), 10),
)


@dataclass
class Tally:
    """Every request sent, by scenario and status, and the failures found (the run goes on past them)."""

    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    nothing_invalid: list[str] = field(default_factory=list)  # operations whose every declared input is fixed

    @property
    def total(self) -> int:
        return sum(sum(counter.values()) for counter in self.statuses.values())

    def report(self) -> str:
        lines = [f"schemathesis: {self.total} generated requests"]
        for name, counter in self.statuses.items():
            histogram = ", ".join(f"{status}: {count}" for status, count in sorted(counter.items()))
            lines.append(f"  {name}: {sum(counter.values())} requests — {histogram}")
        overall = sum(self.statuses.values(), Counter[int]())
        lines.append("  all: " + ", ".join(f"{status}: {count}" for status, count in sorted(overall.items())))
        if self.nothing_invalid:
            lines.append("  no invalid input to make for: " + ", ".join(self.nothing_invalid))
        return "\n".join(lines)


@pytest.fixture(scope="module")
def own_knowledge(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The bundled corpus in a knowledge base of this module's own: generated requests reach the admin ingest,
    which writes to it, so the session's shared read-only `bundled_knowledge` must not be used here."""
    kb_settings = Settings(data_dir=tmp_path_factory.mktemp("fuzz-kb"), embedder="hashing")
    kb = KnowledgeBase.open(kb_settings)
    Ingestor(kb, Chunker(kb_settings.chunk_size)).ingest(load_paths([bundled_corpus_path()]), dense=False)
    return kb


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, own_knowledge: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    root = tmp_path_factory.mktemp("fuzz")
    with _database(request.param, root) as database_url:
        settings_ = Settings(
            environment="development",
            data_dir=root,
            embedder="hashing",
            database_url=database_url,
            rate_limit_per_minute=0,
            chat_rate_limit_per_minute=0,
            log_level="CRITICAL",  # a 4xx per request is the point here; a 5xx fails the test with its request
        )
        app = create_app(settings_, knowledge=own_knowledge, fill_dense=False)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)  # starts the app's lifespan, kept to the end
        try:
            yield _signed_in_world(app, schema)
        finally:
            shutdown_lifespans()


@contextmanager
def _database(kind: str, root: Path) -> Iterator[str]:
    """The URL of a fresh SQLite file, or of a fresh PostgreSQL schema (dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{root / 'minfu.sqlite'}"
        return
    admin = create_engine(PG_URL, connect_args={"connect_timeout": 3})
    schema = f"fuzz_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc.orig}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _signed_in_world(app: Any, schema: OpenApiSchema) -> World:
    identity = app.state.identity
    site, secret = identity.sites.create("模糊测试门户", [ORIGIN])
    token = issue_token(site.site_key, secret, uscc=ENTERPRISE, name="上海模糊测试有限公司")
    _, admin_key = identity.api_keys.create("模糊测试管理员", "admin")
    _, staff_key = identity.api_keys.create("模糊测试工作人员", "staff")
    headers = {"X-Site-Key": site.site_key, "Origin": ORIGIN, "Authorization": f"Bearer {token}"}
    headers["X-API-Key"] = admin_key
    world = World(app=app, schema=schema, headers=headers, staff_key=staff_key)
    world.known = _seed_records(app, headers)
    return world


def _seed_records(app: Any, headers: dict[str, str]) -> dict[str, list[Any]]:
    """A conversation handed off to staff and a curated answer, made through the API itself."""
    client = get_client(app)
    chat = client.post("/v1/chat", json={"message": "我要转人工"}, headers=headers)
    assert chat.status_code == 200, chat.text
    handoffs = client.get("/v1/staff/handoffs", headers=headers).json()["handoffs"]
    curated = client.post("/v1/staff/curated", json={"question": "试用期多久", "answer": "最长六个月"}, headers=headers)
    assert handoffs and curated.status_code == 201, curated.text
    return {
        "conversation_id": [chat.json()["conversation_id"]],
        "handoff_id": [handoff["id"] for handoff in handoffs],
        "answer_id": [curated.json()["id"]],
    }


def test_generated_requests_get_no_server_error(world: World) -> None:
    tally = Tally()
    for scenario in SCENARIOS:
        for operation in _operations(world.schema, scenario):
            _fuzz(world, scenario, operation, tally)
    print("\n" + tally.report())
    assert not tally.failures, "\n\n".join(tally.failures)
    assert tally.total >= MIN_REQUESTS, tally.report()
    administrator, staff = (tally.statuses[scenario.name] for scenario in SCENARIOS[:2])
    assert administrator[401] + administrator[403] + staff[401] == 0, "valid credentials were refused"


def _operations(schema: OpenApiSchema, scenario: Scenario) -> Iterator[Operation]:
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"an operation the document does not describe well: {result}"
        operation = result.ok()
        if scenario.only_header is None or scenario.only_header in _header_names(operation):
            yield operation


def _header_names(operation: Operation) -> set[str]:
    return {parameter.name for parameter in operation.headers}


def _fuzz(world: World, scenario: Scenario, operation: Operation, tally: Tally) -> None:
    """Up to `scenario.max_examples` requests to `operation`; a failure (shrunk by Hypothesis) is kept in `tally`."""
    counter = tally.statuses.setdefault(scenario.name, Counter())
    headers = _fixed_headers(world, scenario, operation)
    strategy = operation.as_strategy(scenario.mode, headers=headers or None)
    if scenario.use_known_ids:
        strategy = _sometimes_known(strategy, world.known)
    checks = [*scenario.checks, *_refusals(scenario, operation)]

    @given(case=strategy)
    @settings(
        max_examples=scenario.max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    def send(case: AnyCase) -> None:
        response = case.call()
        counter[response.status_code] += 1
        case.validate_response(response, checks=checks)

    try:
        send()
    except Unsatisfiable:
        if scenario.mode is not GenerationMode.NEGATIVE:
            raise
        tally.nothing_invalid.append(operation.label)
    except (Exception, schemathesis.errors.FailureGroup) as error:
        tally.failures.append(f"[{scenario.name}] {operation.label}: {error}"[:3000])


def _fixed_headers(world: World, scenario: Scenario, operation: Operation) -> dict[str, str]:
    chosen = world.headers | ({"X-API-Key": world.staff_key} if scenario.staff else {})
    declared = _header_names(operation)
    return {name: chosen[name] for name in scenario.fixed if name in declared}


def _sometimes_known(strategy: st.SearchStrategy[AnyCase], known: dict[str, list[Any]]) -> st.SearchStrategy[AnyCase]:
    """Now and then, the path parameters and body fields named in `known` take a value that exists."""

    def use(drawn: tuple[AnyCase, int]) -> AnyCase:
        case, pick = drawn
        if pick % KNOWN_ID_SHARE == 0:
            for name, values in known.items():
                for container in (case.path_parameters, case.body):
                    if isinstance(container, dict) and name in container:
                        container[name] = values[pick % len(values)]
        return case

    return st.tuples(strategy, st.integers(min_value=0, max_value=8 * KNOWN_ID_SHARE)).map(use)


def _refusals(scenario: Scenario, operation: Operation) -> list[CheckFunction]:
    """Made-up site keys and API keys must be refused (an operation needing one of them, a scenario not sending it)."""
    needed = {"X-Site-Key", "X-API-Key"} & _header_names(operation)
    made_up = needed - set(scenario.fixed)
    return [_refused(sorted(made_up))] if made_up and scenario.mode is GenerationMode.POSITIVE else []


def _refused(headers: list[str]) -> Callable[[Any, Any, AnyCase], bool]:
    def credentials_refused(_ctx: Any, response: Any, case: AnyCase) -> bool:
        assert response.status_code in (401, 403), f"{headers} made up or missing, yet answered {response.status_code}"
        return True

    return credentials_refused
