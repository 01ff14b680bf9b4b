#!/usr/bin/env python3
"""Minimal pygls server used as Braid's Python comparison peer.

It speaks the same LSP base-protocol framing over stdin/stdout as `braid serve`.
pygls itself answers `initialize`, `shutdown` and `exit`; this file adds only
the custom request `braid/version`.
"""
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol


class PeerProtocol(LanguageServerProtocol):
    """JSON-RPC 2.0 lets a request omit `params`; pygls's generic request
    type for custom methods requires the field, so default it to null."""

    def structure_message(self, data):
        if "method" in data and "params" not in data:
            data["params"] = None
        return super().structure_message(data)


server = LanguageServer("braid-peer", "0", protocol_cls=PeerProtocol)


@server.feature("braid/version")
def braid_version(ls, params):
    return {"name": "braid-peer", "version": "0"}


if __name__ == "__main__":
    server.start_io()
