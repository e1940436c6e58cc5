#!/usr/bin/env python3
"""Draw GridMeter's brand images (icon and logo, light and dark) with Pillow.

Run from anywhere with the project's venv:

    .venv/bin/python scripts/brand.py [output folder]

The default output folder is custom_components/gridmeter/brand/. Every image is
drawn at four times its final size and scaled down, which gives clean
anti-aliased edges. Sizes follow Home Assistant's brand rules: icon 256x256 and
icon@2x 512x512; logo with its shortest side 128 (logo@2x 256); transparent
background, trimmed to the artwork.
"""

from __future__ import annotations

import math
from pathlib import Path
import sys

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "custom_components" / "gridmeter" / "brand"

SUPERSAMPLE = 4

# Palette.
TEAL = (16, 166, 160)
BLUE = (24, 72, 140)
NAVY = (17, 42, 82)
AMBER = (255, 196, 54)
AMBER_DEEP = (247, 148, 29)
WHITE = (255, 255, 255)
INK = (23, 37, 58)  # wordmark on light backgrounds
MIST = (232, 240, 248)  # wordmark on dark backgrounds
TEAL_LIGHT = (45, 199, 190)  # "Meter" on dark backgrounds

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Return a bold sans-serif font, or Pillow's own one if none is installed."""
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def _gradient(
    size: int, start: tuple[int, int, int], end: tuple[int, int, int]
) -> Image.Image:
    """Return a square RGBA image going from `start` (top left) to `end`."""
    ramp = Image.linear_gradient("L").rotate(
        45, expand=True, resample=Image.Resampling.BICUBIC
    )
    ramp = ramp.crop(
        (
            (ramp.width - 256) // 2 + 53,
            (ramp.height - 256) // 2 + 53,
            (ramp.width + 256) // 2 - 53,
            (ramp.height + 256) // 2 - 53,
        )
    ).resize((size, size), Image.Resampling.BICUBIC)
    first = Image.new("RGBA", (size, size), (*start, 255))
    second = Image.new("RGBA", (size, size), (*end, 255))
    return Image.composite(second, first, ramp)


def _polar(
    center: tuple[float, float], radius: float, degrees: float
) -> tuple[float, float]:
    """Return the point at `degrees` (0 = east, clockwise) on a circle."""
    angle = math.radians(degrees)
    return (center[0] + radius * math.cos(angle), center[1] + radius * math.sin(angle))


def _round_arc(
    draw: ImageDraw.ImageDraw,
    center: tuple[float, float],
    radius: float,
    start: float,
    end: float,
    width: float,
    fill: tuple[int, ...],
) -> None:
    """Draw an arc of the given stroke width with round caps."""
    box = (
        center[0] - radius - width / 2,
        center[1] - radius - width / 2,
        center[0] + radius + width / 2,
        center[1] + radius + width / 2,
    )
    draw.arc(box, start, end, fill=fill, width=round(width))
    for degrees in (start, end):
        x, y = _polar(center, radius, degrees)
        draw.ellipse(
            (x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=fill
        )


def _bolt(center: tuple[float, float], height: float) -> list[tuple[float, float]]:
    """Return the outline of a lightning bolt centred on `center`."""
    # Unit shape in a 1 x 1 box, drawn clockwise from the top.
    shape = (
        (0.60, 0.00),
        (0.16, 0.56),
        (0.46, 0.56),
        (0.36, 1.00),
        (0.84, 0.40),
        (0.54, 0.40),
        (0.66, 0.00),
    )
    width = height * 0.68
    left = center[0] - width / 2
    top = center[1] - height / 2
    return [(left + x * width, top + y * height) for x, y in shape]


def draw_mark(size: int) -> Image.Image:
    """Draw the GridMeter mark (a meter dial on a grid, with a bolt) at `size`."""
    big = size * SUPERSAMPLE
    canvas = Image.new("RGBA", (big, big), (0, 0, 0, 0))

    # Round badge with a diagonal teal-to-blue gradient.
    badge_mask = Image.new("L", (big, big), 0)
    ImageDraw.Draw(badge_mask).ellipse((0, 0, big - 1, big - 1), fill=255)
    badge = _gradient(big, TEAL, BLUE)

    # A faint metering grid across the badge, brighter towards the top.
    grid = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    grid_draw = ImageDraw.Draw(grid)
    step = big / 8
    line = max(1, round(big * 0.006))
    for index in range(1, 8):
        offset = round(index * step)
        grid_draw.line((offset, 0, offset, big), fill=(*WHITE, 40), width=line)
        grid_draw.line((0, offset, big, offset), fill=(*WHITE, 40), width=line)
    fade = Image.linear_gradient("L").resize((big, big)).point(lambda v: 255 - v // 2)
    grid.putalpha(ImageChops.multiply(grid.getchannel("A"), fade))
    badge = Image.alpha_composite(badge, grid)

    # Soft inner shade at the bottom for depth.
    shade = Image.new("RGBA", (big, big), (*NAVY, 0))
    shade_alpha = (
        Image.linear_gradient("L").resize((big, big)).point(lambda v: max(0, v - 140))
    )
    shade.putalpha(shade_alpha)
    badge = Image.alpha_composite(badge, shade)
    canvas.paste(badge, (0, 0), badge_mask)

    # Dial and ticks go on their own layer so that translucent strokes blend
    # with the badge instead of punching holes in it.
    dial = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(dial)
    center = (big / 2, big * 0.53)
    radius = big * 0.325
    stroke = big * 0.065
    start, end = 135.0, 405.0  # a 270 degree dial, open at the bottom

    # Dial track, then the "reading" part of the dial.
    track = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    _round_arc(ImageDraw.Draw(track), center, radius, start, end, stroke, (*WHITE, 70))
    dial = Image.alpha_composite(dial, track)
    draw = ImageDraw.Draw(dial)
    _round_arc(draw, center, radius, start, start + 190, stroke, (*WHITE, 255))

    # Tick marks inside the dial.
    for index in range(11):
        degrees = start + index * (end - start) / 10
        major = index % 5 == 0
        inner = radius - stroke * (1.55 if major else 1.25)
        outer = radius - stroke * 0.85
        draw.line(
            (*_polar(center, inner, degrees), *_polar(center, outer, degrees)),
            fill=(*WHITE, 230 if major else 150),
            width=round(big * (0.018 if major else 0.012)),
        )

    # Hourly bars in the opening of the dial: the data GridMeter brings in.
    bar_width = big * 0.036
    bar_gap = big * 0.022
    heights = (0.045, 0.075, 0.06, 0.095, 0.07)
    left = big / 2 - (len(heights) * bar_width + (len(heights) - 1) * bar_gap) / 2
    bottom = big * 0.885
    for index, bar in enumerate(heights):
        x = left + index * (bar_width + bar_gap)
        draw.rounded_rectangle(
            (x, bottom - big * bar, x + bar_width, bottom),
            radius=bar_width * 0.35,
            fill=(*WHITE, 215),
        )
    canvas = Image.alpha_composite(canvas, dial)

    # The bolt, with a soft shadow, in the middle of the dial.
    bolt = _bolt((center[0], center[1] - big * 0.005), big * 0.40)
    shadow = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    ImageDraw.Draw(shadow).polygon(
        [(x + big * 0.012, y + big * 0.02) for x, y in bolt], fill=(*NAVY, 150)
    )
    shadow = shadow.filter(ImageFilter.GaussianBlur(big * 0.015))
    canvas = Image.alpha_composite(canvas, shadow)
    bolt_fill = _gradient(big, AMBER, AMBER_DEEP)
    bolt_mask = Image.new("L", (big, big), 0)
    ImageDraw.Draw(bolt_mask).polygon(bolt, fill=255)
    canvas.paste(bolt_fill, (0, 0), bolt_mask)

    # Keep the artwork inside the badge (the shadow must not spill out).
    alpha = ImageChops.multiply(canvas.getchannel("A"), badge_mask)
    canvas.putalpha(alpha)
    return canvas.resize((size, size), Image.Resampling.LANCZOS)


def draw_logo(
    height: int, text_color: tuple[int, int, int], accent: tuple[int, int, int]
) -> Image.Image:
    """Draw the mark followed by the "GridMeter" wordmark, `height` pixels tall."""
    big = height * SUPERSAMPLE
    mark = draw_mark(big)
    gap = round(big * 0.22)
    font = _font(round(big * 0.56))
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    grid_box = probe.textbbox((0, 0), "Grid", font=font, anchor="ls")
    meter_box = probe.textbbox((0, 0), "Meter", font=font, anchor="ls")
    width = big + gap + (grid_box[2] - grid_box[0]) + (meter_box[2] - meter_box[0])
    width += big * 0.05
    canvas = Image.new("RGBA", (math.ceil(width), big), (0, 0, 0, 0))
    canvas.paste(mark, (0, 0), mark)
    draw = ImageDraw.Draw(canvas)
    # Baseline so that the cap height sits centred on the mark.
    cap = probe.textbbox((0, 0), "G", font=font, anchor="ls")
    baseline = big / 2 + (cap[3] - cap[1]) / 2
    x = big + gap - grid_box[0]
    draw.text((x, baseline), "Grid", font=font, fill=(*text_color, 255), anchor="ls")
    x += grid_box[2]
    draw.text((x, baseline), "Meter", font=font, fill=(*accent, 255), anchor="ls")
    logo = canvas.crop(canvas.getbbox())
    scale = height / logo.height
    return logo.resize((round(logo.width * scale), height), Image.Resampling.LANCZOS)


def main() -> int:
    """Write every brand image and print what was written."""
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    images = {
        "icon.png": draw_mark(256),
        "icon@2x.png": draw_mark(512),
        "logo.png": draw_logo(128, INK, TEAL),
        "logo@2x.png": draw_logo(256, INK, TEAL),
        "dark_logo.png": draw_logo(128, MIST, TEAL_LIGHT),
        "dark_logo@2x.png": draw_logo(256, MIST, TEAL_LIGHT),
    }
    for name, image in images.items():
        path = out / name
        image.save(path, optimize=True)
        print(
            f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
            f"{image.width}x{image.height}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
