"""Real files to attach, made here (no binary fixtures in the repository): a 12-lead-like ECG
strip as a PNG (pink grid, black trace) and as a one-page PDF (the same trace as vector lines),
optionally padded to a size with an unused binary stream, as a scanner's PDF would carry an image."""

from __future__ import annotations

import math
import os
import struct
import zlib


def _trace(x: float) -> float:
    """An ECG-like beat every 160 units: P wave, QRS spike, T wave (millivolts, roughly)."""
    t = x % 160
    p = 0.15 * math.exp(-(((t - 30) / 8) ** 2))
    q = -0.15 * math.exp(-(((t - 58) / 2) ** 2))
    r = 1.6 * math.exp(-(((t - 62) / 2.2) ** 2))
    s = -0.35 * math.exp(-(((t - 67) / 2.5) ** 2))
    tw = 0.3 * math.exp(-(((t - 105) / 12) ** 2))
    return p + q + r + s + tw


def ecg_png(width: int = 1200, height: int = 360) -> bytes:
    pixels = [bytearray(b"\xff\xff\xff" * width) for _ in range(height)]
    for y in range(height):
        row = pixels[y]
        for x in range(width):
            if x % 50 == 0 or y % 50 == 0:
                row[3 * x : 3 * x + 3] = b"\xf0\x90\x90"
            elif x % 10 == 0 or y % 10 == 0:
                row[3 * x : 3 * x + 3] = b"\xfb\xdd\xdd"
    baseline = height // 2 + 40
    previous = None
    for x in range(width):
        y = int(baseline - 100 * _trace(x))
        low, high = (y, y) if previous is None else (min(y, previous), max(y, previous))
        for yy in range(max(0, low - 1), min(height, high + 2)):
            pixels[yy][3 * x : 3 * x + 3] = b"\x10\x10\x10"
        previous = y
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def ecg_pdf(size: int | None = None) -> bytes:
    """A one-page PDF (A4 landscape) with the trace; padded with an unused random stream to
    ``size`` bytes when given (random: it does not compress, like a scanned image)."""
    lines = ["0.9 0.6 0.6 RG 0.3 w"]
    for gx in range(40, 800, 20):
        lines.append(f"{gx} 100 m {gx} 500 l S")
    for gy in range(100, 501, 20):
        lines.append(f"40 {gy} m 800 {gy} l S")
    lines.append("0 0 0 RG 1.2 w")
    points = [(40 + x * 0.5, 300 + 80 * _trace(x)) for x in range(0, 1520)]
    lines.append(f"{points[0][0]:.1f} {points[0][1]:.1f} m")
    lines += [f"{px:.1f} {py:.1f} l" for px, py in points[1:]]
    lines.append("S BT /F1 18 Tf 40 530 Td (ECG 12-lead, lead II) Tj ET")
    content = "\n".join(lines).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]

    def assemble(padding: bytes) -> bytes:
        items = objects + ([b"<< /Length %d >>\nstream\n" % len(padding) + padding + b"\nendstream"] if padding else [])
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(items, 1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(items) + 1)
        out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(items) + 1, xref)
        return bytes(out)

    plain = assemble(b"")
    if size is None or size <= len(plain):
        return plain
    overhead = len(assemble(b"x")) - len(plain) - 1 + 2  # the padding object's frame (length digits grow)
    padding = os.urandom(max(1, size - len(plain) - overhead))
    data = assemble(padding)
    while len(data) != size:  # settle the digits of /Length and the offsets
        padding = (
            padding[: len(padding) - (len(data) - size)] if len(data) > size else padding + os.urandom(size - len(data))
        )
        data = assemble(padding)
    return data
