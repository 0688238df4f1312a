"""The map as a picture for the deck, drawn here from the units' boundaries (the loader's
unit_geometry mart) with Pillow: no tiles, no browser, nothing fetched. Each unit is filled by
its score on the dashboard map's scale (YlOrRd, fixed 0–100), unscored units grey, with a
colour bar. Web Mercator, like the dashboard."""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping

from PIL import Image, ImageDraw, ImageFont

# Plotly's YlOrRd (the dashboard map's scale), light to dark, evenly spaced over 0–100.
SCALE = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026"]
NOT_SCORED = (208, 208, 208)
EDGE = (255, 255, 255)
SIZE = (1600, 1000)  # pixels: a 16:10 slide's picture area at about 150 dpi
SUPERSAMPLE = 2  # drawn at twice the size and reduced: smooth edges


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def colour(value: float | None) -> tuple[int, int, int]:
    """The scale's colour for a 0–100 score (linear between the scale's stops)."""
    if value is None or value != value:
        return NOT_SCORED
    x = min(max(float(value), 0.0), 100.0) / 100 * (len(SCALE) - 1)
    i = min(int(x), len(SCALE) - 2)
    a, b = _rgb(SCALE[i]), _rgb(SCALE[i + 1])
    return tuple(round(a[k] + (b[k] - a[k]) * (x - i)) for k in range(3))  # type: ignore[return-value]


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    return math.radians(lon), math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _rings(geometry: Mapping) -> Iterable[list[list[float]]]:
    """Every ring of a Polygon or MultiPolygon (outer first, then holes)."""
    for polygon in _polygon_rings(geometry):
        yield from polygon


def _polygon_rings(geometry: Mapping) -> list[list[list[float]]]:
    """Each polygon's rings (outer first, then its holes), as lists per polygon."""
    return geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]


def _fill(image: Image.Image, polygons: list[list[list[tuple[float, float]]]], fill: tuple[int, int, int]) -> None:
    """Fill polygons with holes through a mask over their bounding box: a hole shows what is
    beneath it (an enclave drawn earlier), never white paint over it."""
    xs = [x for rings in polygons for ring in rings for x, _ in ring]
    ys = [y for rings in polygons for ring in rings for _, y in ring]
    left, top = int(min(xs)), int(min(ys))
    box = (max(left, 0), max(top, 0), int(max(xs)) + 2, int(max(ys)) + 2)
    mask = Image.new("L", (box[2] - box[0], box[3] - box[1]), 0)
    pen = ImageDraw.Draw(mask)
    for rings in polygons:
        for i, ring in enumerate(rings):
            pen.polygon([(x - box[0], y - box[1]) for x, y in ring], fill=0 if i else 255)
    image.paste(fill, box, mask)


# A CJK font for the legend's title where the system has one (Debian's fonts-noto-cjk); else
# Pillow's own font, which has digits and Latin only, and the title is left off.
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


def _font(size: int) -> tuple[ImageFont.ImageFont, bool]:
    """A font of `size` pixels, and whether it has Chinese."""
    for path in CJK_FONTS:
        try:
            return ImageFont.truetype(path, size, index=2 if path.endswith(".ttc") else 0), True
        except OSError:
            continue
    return ImageFont.load_default(size=size), False


def render(features: list[dict], values: Mapping[str, float | None], label: str = "0–100") -> bytes | None:
    """A PNG of the units (GeoJSON features whose id is the unit id) coloured by `values`;
    None when no unit has a boundary."""
    rings = [(f["id"], [_mercator(x, y) for x, y in ring]) for f in features for ring in _rings(f["geometry"])]
    if not rings:
        return None
    xs = [x for _, ring in rings for x, _ in ring]
    ys = [y for _, ring in rings for _, y in ring]
    k = SUPERSAMPLE
    width, height = SIZE[0] * k, SIZE[1] * k
    legend = 150 * k  # the colour bar's column on the right
    margin = 30 * k
    span_x, span_y = max(max(xs) - min(xs), 1e-9), max(max(ys) - min(ys), 1e-9)
    scale = min((width - legend - 2 * margin) / span_x, (height - 2 * margin) / span_y)
    off_x = margin + (width - legend - 2 * margin - span_x * scale) / 2
    off_y = margin + (height - 2 * margin - span_y * scale) / 2

    def point(x: float, y: float) -> tuple[float, float]:
        return off_x + (x - min(xs)) * scale, off_y + (max(ys) - y) * scale

    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for feature in features:  # fills first, then every edge on top, so no fill hides a border
        _fill(
            image,
            [
                [[point(*_mercator(x, y)) for x, y in ring] for ring in polygon]
                for polygon in _polygon_rings(feature["geometry"])
            ],
            colour(values.get(feature["id"])),
        )
    for _, ring in rings:
        draw.line([point(x, y) for x, y in ring] + [point(*ring[0])], fill=EDGE, width=k)
    # Colour bar: 100 at the top, 0 at the bottom, and the unscored grey below it.
    bar_x, bar_top, bar_h, bar_w = width - legend + 20 * k, margin + 40 * k, height - 2 * margin - 160 * k, 36 * k
    for j in range(bar_h):
        draw.line([(bar_x, bar_top + j), (bar_x + bar_w, bar_top + j)], fill=colour(100 * (1 - j / (bar_h - 1))))
    font, chinese = _font(22 * k)
    if chinese or label.isascii():
        draw.text((bar_x, margin), label, fill="black", font=font)
    for v in (0, 20, 40, 60, 80, 100):
        y = bar_top + (1 - v / 100) * (bar_h - 1)
        draw.line([(bar_x + bar_w, y), (bar_x + bar_w + 8 * k, y)], fill="black", width=k)
        draw.text((bar_x + bar_w + 12 * k, y - 12 * k), str(v), fill="black", font=font)
    grey_top = bar_top + bar_h + 30 * k
    draw.rectangle([bar_x, grey_top, bar_x + bar_w, grey_top + bar_w], fill=NOT_SCORED)
    draw.text((bar_x + bar_w + 12 * k, grey_top + 6 * k), "未计分" if chinese else "n/a", fill="black", font=font)
    image = image.resize(SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
