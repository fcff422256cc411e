"""The simulator's ws writer and a client's close frame racing: a data message queued
before the close arrived is dropped, never raised (it used to end the whole server)."""

from __future__ import annotations

from types import SimpleNamespace

import trio
import trio.testing
import wsproto
import wsproto.events as ws_events
from wsproto.connection import ConnectionState

from hip3.sim._ws import _Writer


def _server_after_client_close() -> wsproto.WSConnection:
    client = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    server = wsproto.WSConnection(wsproto.ConnectionType.SERVER)
    server.receive_data(client.send(wsproto.events.Request(host="sim", target="/ws")))
    [_request] = list(server.events())
    client.receive_data(server.send(ws_events.AcceptConnection()))
    list(client.events())
    server.receive_data(client.send(ws_events.CloseConnection(1000)))
    list(server.events())
    assert server.state is ConnectionState.REMOTE_CLOSING
    return server


async def test_a_message_after_the_clients_close_is_dropped_and_the_reply_still_goes() -> None:
    server = _server_after_client_close()
    sent, received = trio.testing.memory_stream_pair()
    session = SimpleNamespace(_ws=server, _stream=sent, close_reason=None)
    writer = _Writer.__new__(_Writer)
    writer.session = session  # type: ignore[assignment]
    writer.last_sent = 0.0
    await writer.send_text('{"channel":"l2Book","data":{}}')  # queued before the close: dropped
    await writer.send_event(ws_events.CloseConnection(1000))  # the reply to the client's close
    assert server.state is ConnectionState.CLOSED
    echo = wsproto.frame_protocol.FrameProtocol(client=True, extensions=[])
    echo.receive_bytes(await received.receive_some())
    frames = list(echo.received_frames())
    assert [f.opcode for f in frames] == [wsproto.frame_protocol.Opcode.CLOSE]
