#!/usr/bin/env python3
"""Writes the seed corpus of cafman_handshake_fuzz (fuzz/corpus/handshake):
valid client answers for the fuzz target's fixed key and challenge, and
truncated or malformed ones. Each file: one byte choosing the largest chunk,
then what the client sends."""
import hashlib
import hmac
import os
import sys

KEY = b"cafman fuzz key"
CHALLENGE = bytes([0x5A] * 32)
CLIENT_LABEL = b"cafman-handshake-v1 client"


def frame(kind, payload):
    return bytes([0xCA, 1, kind, len(payload) >> 8, len(payload) & 0xFF]) + payload


def main(out_dir):
    mac = hmac.new(KEY, CLIENT_LABEL + CHALLENGE, hashlib.sha256).digest()
    answer = frame(2, mac + bytes(range(32)))
    seeds = {
        "valid": b"\xff" + answer,
        "valid_byte_by_byte": b"\x00" + answer,
        "valid_then_lean_choice": b"\x07" + answer + b"L" + bytes(8),
        "truncated_header": b"\xff" + answer[:3],
        "truncated_payload": b"\xff" + answer[:40],
        "wrong_mac": b"\xff" + frame(2, bytes(64)),
        "short_answer": b"\xff" + frame(2, mac),
        "failure_frame": b"\xff" + frame(4, b"go away\x1b[31m"),
        "oversized_length": b"\xff" + bytes([0xCA, 1, 2, 0xFF, 0xFF]),
        "wrong_marker": b"\xff" + b"\x00\x00\x00\x01",
        "wrong_version": b"\xff" + bytes([0xCA, 9, 2, 0, 64]),
        "wrong_type": b"\xff" + frame(3, mac),
    }
    os.makedirs(out_dir, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "handshake"))
