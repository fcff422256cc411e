"""A websocket client that closes while messages are still queued for it.

Found by the official SDK's ``disconnect_websocket`` in the conformance suite: wsproto refuses to
send a text frame once the client's close frame is read, and the refusal used to escape the
session and stop the whole simulator. Now the queued messages are dropped, the close is
answered, and the session ends as closed by the client.
"""

from __future__ import annotations

import trio
import trio.testing
import wsproto.events as ws_events
from wsproto.connection import Connection, ConnectionType

from hip3.sim._ws import CloseReason, OutKind, WsSession
from hip3.sim.config import FaultConfig
from hip3.sim.faults import FaultInjector


async def test_a_close_behind_queued_messages_ends_the_session_cleanly() -> None:
    server_stream, client_stream = trio.testing.memory_stream_pair()
    client = Connection(ConnectionType.CLIENT)
    # One read holds a message and the close: the session queues its answers to the message,
    # then reads the close, before its writer has sent anything.
    initial = client.send(ws_events.TextMessage(data="hello")) + client.send(
        ws_events.CloseConnection(1000)
    )

    async def on_text(session: WsSession, text: str) -> None:
        for n in range(5):
            session.offer(OutKind.CONTROL, "echo", f"{text} {n}")

    session = WsSession(
        1,
        server_stream,
        initial,
        faults=FaultInjector(FaultConfig(), seed=1).ws_faults(1),
        on_text=on_text,
        buffer_size=16,
        idle_timeout_secs=60.0,
        post_delay_secs=0.0,
        ws_delay_secs=0.0,
    )
    with trio.fail_after(5):
        await session.run()
        await server_stream.aclose()  # as the server does when a session is over
        received = b""
        while chunk := await client_stream.receive_some(65536):
            received += chunk
    assert session.close_reason is CloseReason.CLIENT
    client.receive_data(received)
    events = list(client.events())
    # Nothing after the client's close but the reply to it.
    assert [type(event) for event in events] == [ws_events.CloseConnection]
