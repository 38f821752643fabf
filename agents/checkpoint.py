"""A LangGraph checkpointer over minfu's SQL store, so a conversation survives a restart of the service.

`SqlCheckpointer(engine)` keeps every checkpoint of every conversation thread in `conversation_checkpoints` and the
pending writes of its tasks in `conversation_writes` (tools/store/models.py; run `tools.store.upgrade(engine)`
first). It follows the semantics of langgraph's `InMemorySaver`, except that channel values stay inline in the
checkpoint blob instead of one blob per channel version. Works on SQLite and PostgreSQL; every `put` and
`put_writes` is one transaction, and upserts are the backends' own `INSERT … ON CONFLICT`, so concurrent savers
cannot half-write or fail on a duplicate key.

The async methods run the sync ones in a worker thread: the store's engines are synchronous.
"""

from __future__ import annotations

import asyncio
import builtins
import random
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    PendingWrite,
    get_checkpoint_id,
    get_checkpoint_metadata,
    writes_sort_key,
)
from langgraph.checkpoint.serde.base import SerializerProtocol
from sqlalchemy import ColumnElement, Connection, Engine, Row, Select, Table, and_, delete, or_, select, true, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from minfu.errors import ConfigurationError
from tools.store.models import Base

__all__ = ["SqlCheckpointer"]

CHECKPOINTS: Table = Base.metadata.tables["conversation_checkpoints"]
WRITES: Table = Base.metadata.tables["conversation_writes"]
LIST_PAGE_SIZE = 20
"""Checkpoints fetched per query while listing: a page is read in its own short transaction, never across a yield,
so a caller that writes while iterating does not wait on its own read (SQLite takes the lock for every transaction).
"""

CheckpointKey = tuple[str, str, str]  # (thread_id, checkpoint_ns, checkpoint_id)


@dataclass(frozen=True)
class _ListScope:
    """Which checkpoints `list` walks: optionally one thread, one namespace, one id, and only ids before one."""

    thread_id: str | None = None
    checkpoint_ns: str | None = None
    checkpoint_id: str | None = None
    before_id: str | None = None

    def where(self) -> ColumnElement[bool]:
        columns = CHECKPOINTS.c
        conditions = [
            column == value
            for column, value in (
                (columns.thread_id, self.thread_id),
                (columns.checkpoint_ns, self.checkpoint_ns),
                (columns.checkpoint_id, self.checkpoint_id),
            )
            if value is not None
        ]
        if self.before_id is not None:
            conditions.append(columns.checkpoint_id < self.before_id)
        return and_(true(), *conditions)


class SqlCheckpointer(BaseCheckpointSaver[str]):
    """LangGraph checkpoint saver on an SQLAlchemy engine (SQLite or PostgreSQL) of the minfu store."""

    def __init__(self, engine: Engine, *, serde: SerializerProtocol | None = None) -> None:
        super().__init__(serde=serde)
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise ConfigurationError(f"会话检查点不支持该数据库：{engine.dialect.name}（支持 SQLite 与 PostgreSQL）")
        self.engine = engine

    # --- reads ---------------------------------------------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint `config` names by id, or the thread's latest in its namespace; None when there is none."""
        thread_id, checkpoint_ns = _thread_and_ns(config)
        checkpoint_id = get_checkpoint_id(config)
        query = select(CHECKPOINTS).where(
            CHECKPOINTS.c.thread_id == thread_id, CHECKPOINTS.c.checkpoint_ns == checkpoint_ns
        )
        if checkpoint_id:
            query = query.where(CHECKPOINTS.c.checkpoint_id == checkpoint_id)
        query = query.order_by(CHECKPOINTS.c.checkpoint_id.desc()).limit(1)
        with self.engine.begin() as connection:
            row = connection.execute(query).first()
            if row is None:
                return None
            writes = _writes_of(connection, [_key(row)])
        return self._to_tuple(row, writes.get(_key(row), []), config if checkpoint_id else None)

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Checkpoints newest first (per thread and namespace), matching `filter` on metadata, at most `limit`."""
        scope = _scope(config, before)
        remaining = limit
        after: CheckpointKey | None = None
        while remaining is None or remaining > 0:
            page = self._page(scope, after)
            for row, writes in page:
                metadata = self.serde.loads_typed((row.metadata_type, row.metadata))
                if filter and not all(metadata.get(key) == value for key, value in filter.items()):
                    continue
                yield self._to_tuple(row, writes, None, metadata=metadata)
                remaining = None if remaining is None else remaining - 1
                if remaining == 0:
                    return
            if len(page) < LIST_PAGE_SIZE:
                return
            after = _key(page[-1][0])

    def _page(
        self, scope: _ListScope, after: CheckpointKey | None
    ) -> builtins.list[tuple[Row[Any], builtins.list[Row[Any]]]]:
        query = _page_query(scope, after)
        with self.engine.begin() as connection:
            rows = connection.execute(query).all()
            writes = _writes_of(connection, [_key(row) for row in rows])
        return [(row, writes.get(_key(row), [])) for row in rows]

    def _to_tuple(
        self,
        row: Row[Any],
        writes: Sequence[Row[Any]],
        config: RunnableConfig | None,
        *,
        metadata: CheckpointMetadata | None = None,
    ) -> CheckpointTuple:
        checkpoint: Checkpoint = self.serde.loads_typed((row.type, row.checkpoint))
        pending: builtins.list[PendingWrite] = [
            (write.task_id, write.channel, self.serde.loads_typed((write.type, write.value))) for write in writes
        ]
        parent_id = row.parent_checkpoint_id
        return CheckpointTuple(
            config=config or _config(row.thread_id, row.checkpoint_ns, row.checkpoint_id),
            checkpoint=checkpoint,
            metadata=metadata if metadata is not None else self.serde.loads_typed((row.metadata_type, row.metadata)),
            parent_config=_config(row.thread_id, row.checkpoint_ns, parent_id) if parent_id else None,
            pending_writes=pending,
        )

    # --- writes --------------------------------------------------------------------------------------------------

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store `checkpoint` (replacing one with the same id) as a child of the checkpoint `config` names."""
        thread_id, checkpoint_ns = _thread_and_ns(config)
        checkpoint_type, checkpoint_blob = self.serde.dumps_typed(checkpoint)
        metadata_type, metadata_blob = self.serde.dumps_typed(get_checkpoint_metadata(config, metadata))
        row = {
            "thread_id": thread_id,
            "checkpoint_ns": checkpoint_ns,
            "checkpoint_id": checkpoint["id"],
            "parent_checkpoint_id": get_checkpoint_id(config),
            "type": checkpoint_type,
            "checkpoint": bytes(checkpoint_blob),
            "metadata_type": metadata_type,
            "metadata": bytes(metadata_blob),
            "created_at": datetime.now(UTC),
        }
        with self.engine.begin() as connection:
            connection.execute(self._upsert(CHECKPOINTS, replace=True), [row])
        return _config(thread_id, checkpoint_ns, checkpoint["id"])

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's writes against the checkpoint `config` names, all or none.

        As in `InMemorySaver`: a regular write already stored under (task, index) is kept, a special write
        (error, interrupt, scheduled, resume; negative index) replaces the stored one.
        """
        thread_id, checkpoint_ns = _thread_and_ns(config)
        base = {
            "thread_id": thread_id,
            "checkpoint_ns": checkpoint_ns,
            "checkpoint_id": config["configurable"]["checkpoint_id"],
            "task_id": task_id,
            "task_path": task_path,
        }
        rows: dict[int, dict[str, Any]] = {}
        for position, (channel, value) in enumerate(writes):
            idx = WRITES_IDX_MAP.get(channel, position)
            value_type, value_blob = self.serde.dumps_typed(value)
            rows[idx] = {**base, "idx": idx, "channel": channel, "type": value_type, "value": bytes(value_blob)}
        regular = [row for idx, row in rows.items() if idx >= 0]
        special = [row for idx, row in rows.items() if idx < 0]
        with self.engine.begin() as connection:
            if regular:
                connection.execute(self._upsert(WRITES, replace=False), regular)
            if special:
                connection.execute(self._upsert(WRITES, replace=True), special)

    def delete_thread(self, thread_id: str) -> None:
        """Forget a conversation: every checkpoint and write of `thread_id`, in every namespace."""
        with self.engine.begin() as connection:
            connection.execute(delete(WRITES).where(WRITES.c.thread_id == thread_id))
            connection.execute(delete(CHECKPOINTS).where(CHECKPOINTS.c.thread_id == thread_id))

    def _upsert(self, table: Table, *, replace: bool) -> Insert:
        """INSERT … ON CONFLICT on the primary key: replace the non-key columns, or keep the stored row."""
        keys = [column.name for column in table.primary_key.columns]
        if self.engine.dialect.name == "postgresql":
            pg_insert = postgresql.insert(table)
            if not replace:
                return pg_insert.on_conflict_do_nothing(index_elements=keys)
            pg_new = {column.name: pg_insert.excluded[column.name] for column in table.c if column.name not in keys}
            return pg_insert.on_conflict_do_update(index_elements=keys, set_=pg_new)
        lite_insert = sqlite.insert(table)
        if not replace:
            return lite_insert.on_conflict_do_nothing(index_elements=keys)
        lite_new = {column.name: lite_insert.excluded[column.name] for column in table.c if column.name not in keys}
        return lite_insert.on_conflict_do_update(index_elements=keys, set_=lite_new)

    # --- versions and async --------------------------------------------------------------------------------------

    def get_next_version(self, current: str | None, channel: None) -> str:
        """`InMemorySaver`'s versions: a zero-padded counter and a random fraction, increasing as text."""
        if current is None:
            current_number = 0
        elif isinstance(current, int):
            current_number = current
        else:
            current_number = int(current.split(".")[0])
        return f"{current_number + 1:032}.{random.random():016}"

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await asyncio.to_thread(self.get_tuple, config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """`list`, one item at a time from a worker thread (a page query runs when the page before is used up)."""
        items = self.list(config, filter=filter, before=before, limit=limit)
        while (item := await asyncio.to_thread(next, items, None)) is not None:
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return await asyncio.to_thread(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        await asyncio.to_thread(self.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await asyncio.to_thread(self.delete_thread, thread_id)


def _thread_and_ns(config: RunnableConfig) -> tuple[str, str]:
    configurable = config["configurable"]
    return str(configurable["thread_id"]), str(configurable.get("checkpoint_ns", ""))


def _config(thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id, "checkpoint_ns": checkpoint_ns, "checkpoint_id": checkpoint_id}}


def _key(row: Row[Any]) -> CheckpointKey:
    return (row.thread_id, row.checkpoint_ns, row.checkpoint_id)


def _scope(config: RunnableConfig | None, before: RunnableConfig | None) -> _ListScope:
    before_id = get_checkpoint_id(before) if before else None
    if not config:
        return _ListScope(before_id=before_id)
    configurable = config["configurable"]
    return _ListScope(
        thread_id=str(configurable["thread_id"]),
        checkpoint_ns=configurable.get("checkpoint_ns"),
        checkpoint_id=get_checkpoint_id(config) or None,
        before_id=before_id or None,
    )


def _page_query(scope: _ListScope, after: CheckpointKey | None) -> Select[Any]:
    """The next page in (thread, namespace, newest id first) order, resuming after the last row of the page before."""
    columns = CHECKPOINTS.c
    query = select(CHECKPOINTS).where(scope.where())
    if after is not None:
        thread_id, checkpoint_ns, checkpoint_id = after
        query = query.where(
            or_(
                columns.thread_id > thread_id,
                and_(columns.thread_id == thread_id, columns.checkpoint_ns > checkpoint_ns),
                and_(
                    columns.thread_id == thread_id,
                    columns.checkpoint_ns == checkpoint_ns,
                    columns.checkpoint_id < checkpoint_id,
                ),
            )
        )
    order = (columns.thread_id, columns.checkpoint_ns, columns.checkpoint_id.desc())
    return query.order_by(*order).limit(LIST_PAGE_SIZE)


def _writes_of(connection: Connection, keys: Sequence[CheckpointKey]) -> dict[CheckpointKey, list[Row[Any]]]:
    """The pending writes of each checkpoint in `keys`, in `writes_sort_key` order (sorted here, not by the
    database, whose text collation may differ from Python's)."""
    if not keys:
        return {}
    columns = WRITES.c
    query = select(WRITES).where(tuple_(columns.thread_id, columns.checkpoint_ns, columns.checkpoint_id).in_(keys))
    grouped: dict[CheckpointKey, list[Row[Any]]] = {}
    for row in connection.execute(query):
        grouped.setdefault(_key(row), []).append(row)
    for rows in grouped.values():
        rows.sort(key=lambda row: writes_sort_key(row.task_path, row.task_id, row.idx))
    return grouped
