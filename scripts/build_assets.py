#!/usr/bin/env python3
"""Build the front-end assets into static/build/ (git-ignored).

Run from the repository root after `npm ci` and `make install`:

    .venv/bin/python scripts/build_assets.py

Python 3.11 with fontTools, brotli and WhiteNoise (the project's virtual environment). It rebuilds static/build/ from scratch
every time (into a temporary folder that replaces the old one only when every
step and check has passed), so it is idempotent. Nothing it writes is loaded
from another origin at run time.

It writes:
  staff.css                 static/src/staff.scss compiled with dart sass
                            (GOV.UK Frontend, system fonts, no crown)
  child.css                 copy of static/src/child.css (checked: logical
                            properties only, url()s resolve)
  js/NAME.js                static/js/NAME.js bundled and minified by esbuild (staff.js
                            with only the GOV.UK Frontend components it imports)
  icon.svg, css/            copies of the other static files pages link
  icons/                    the web app manifest's PNG icons (192, 512, maskable 512), Pillow
  sw/service-worker.js      static/js/service-worker.js bundled (Workbox), with the list of
                            every hashed file to precache (workbox-build injectManifest)
  govuk-assets/images/      only the images staff.css refers to (none today)
  pictograms/NAME.svg       the pictures named in static/pictograms.toml
  pictograms.svg            all of them as <symbol id="NAME"> in one sprite (child
                            pages: <svg><use href="pictograms.HASH.svg#NAME">)
  pictograms/steps/Q/S.svg  a sprite of only what step S of questionnaire Q shows
  fonts/                    Noto Sans Ethiopic + Noto Naskh Arabic WOFF2
                            (script subset only) and ethiopic.css / arabic.css;
                            LANG.css and LANG-WEIGHT.woff2: subsets to a
                            language's catalogue (child pages)
  NAME.HASH.EXT             a copy of each file named after its content, and
                            .br / .gz copies of text files (WhiteNoise)
  licences/                 licence texts for everything above
  manifest.json             versions, files and sizes (for humans and tests);
                            "static": plain name -> hashed name (for url_for)

Any problem (missing package, wrong version, a missing pictogram, GDS
Transport or a font url in staff.css, ...) stops the build with exit code 1
and a message starting with "build_assets: ERROR".
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
STATIC = ROOT / "static"
SRC = STATIC / "src"
BUILD = STATIC / "build"
PICTOGRAMS_TOML = STATIC / "pictograms.toml"
ATTRIBUTION = STATIC / "ATTRIBUTION.md"
TRANSLATIONS = ROOT / "translations"

# URL path at which static/build/ is served (staff.css image urls use it).
BUILD_URL = "/static/build/"

GOVUK = NODE_MODULES / "govuk-frontend"
PICTOGRAM_PACKAGE = "@twemoji/svg"

# Fonts for scripts that phones commonly lack. Only the script subset, only
# these weights (a weight the package does not have is skipped).
FONTS = [
    {
        "package": "@fontsource/noto-sans-ethiopic",
        "subset": "ethiopic",
        "css": "ethiopic.css",
        "weights": (400, 700),
    },
    {
        "package": "@fontsource/noto-naskh-arabic",
        "subset": "arabic",
        "css": "arabic.css",
        "weights": (400, 700),
    },
]

# Child pages in these languages load fonts/LANG.css: their script's font, subset to the
# characters of the language's catalogue (other languages' scripts are on phones already).
LANGUAGE_FONTS = {"ti": "ethiopic", "am": "ethiopic", "ckb": "arabic", "ps": "arabic"}
# One weight: the browser draws bold from it (font-synthesis), which halves what a first visit
# of a child's page in these languages downloads.
LANGUAGE_FONT_WEIGHTS = (400,)
# Ethiopic syllables are precomposed characters: no shaping needed, and leaving out the
# OpenType layout tables halves the subset (Arabic must keep them: letters join).
NO_LAYOUT_SCRIPTS = {"ethiopic"}
# Top-level folders of the build that keep only their plain names (sw/: the service worker,
# served at /service-worker.js, a URL that never changes).
UNHASHED = {"licences", "sw"}
THEME_COLOUR = (0x1D, 0x4F, 0x6E)  # as static/icon.svg

# Semantic names that pages rely on: the build fails if one is removed from
# static/pictograms.toml.
REQUIRED_PICTOGRAMS = {
    "wave", "happy", "sad", "angry", "scared", "worried", "calm", "tired",
    "confused", "lonely", "okay", "excited", "hope", "family", "friend",
    "people", "home", "school", "safe", "help", "panel", "speak", "heart",
    "question", "pencil", "camera", "microphone", "keyboard", "tick", "stop",
    "hide", "play", "back", "forward", "sun", "tree", "book", "ball", "food",
    "doctor", "phone", "lock", "share",
}

# Pictures on every step page besides the step's own (templates/child/step.html, base.html and
# _macros.html; FORM_PICTURES in voice/child/routes.py): each step's sprite has them too.
STEP_PAGE_PICTURES = {"hide", "stop", "back", "forward", "play", "keyboard", "microphone", "draw",
                      "camera", "record", "stop_recording", "eraser", "undo", "clear"}
QUESTIONNAIRES = ROOT / "voice" / "capture" / "questionnaires"

PICTOGRAM_BUDGET = 300 * 1024  # bytes; a warning, not an error
PICTURE_BUDGET = 4 * 1024  # bytes, each picture after SVGO: an error

# Physical properties that break right-to-left layout (child.css must use
# logical ones). Matched only in declarations, not in @media queries.
PHYSICAL_PROPERTY = re.compile(
    r"(?:^|[;{\s])("
    r"(?:margin|padding)-(?:left|right|top|bottom)"
    r"|border-(?:left|right|top|bottom)(?:-[a-z]+)?"
    r"|border-(?:top|bottom)-(?:left|right)-radius"
    r"|(?:left|right|top|bottom)"
    r"|(?:min-|max-)?(?:width|height)"
    r"|float|clear"
    r")\s*:",
)
PHYSICAL_VALUE = re.compile(
    r"(?:^|[;{\s])(text-align|float|clear|caption-side|resize)\s*:\s*(left|right|horizontal)\b"
)

FONT_FILE = re.compile(r"\.(?:woff2?|ttf|otf|eot)(?:[?#][^)'\"]*)?['\"]?\s*\)", re.I)
URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")


class BuildError(Exception):
    pass


def fail(message: str) -> None:
    raise BuildError(message)


def kb(n: int) -> str:
    return f"{n / 1024:.1f} KB"


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"{path.relative_to(ROOT)} is missing")
    except json.JSONDecodeError as exc:
        fail(f"{path.relative_to(ROOT)} is not valid JSON: {exc}")
    raise AssertionError  # unreachable


def package_dir(name: str) -> Path:
    return NODE_MODULES.joinpath(*name.split("/"))


def check_packages() -> dict[str, str]:
    """Every dependency in package.json is installed at its pinned version."""
    if not NODE_MODULES.is_dir():
        fail("node_modules/ is missing: run `npm ci` first (or `make -f scripts/assets.mk assets`)")
    wanted = read_json(ROOT / "package.json").get("dependencies", {})
    versions = {}
    for name, pin in wanted.items():
        manifest = package_dir(name) / "package.json"
        if not manifest.is_file():
            fail(f"package {name} is not installed: run `npm ci`")
        installed = read_json(manifest)["version"]
        if not re.fullmatch(r"\d+\.\d+\.\d+", pin):
            fail(f"package.json must pin exact versions ({name} is {pin!r})")
        if installed != pin:
            fail(f"{name} {installed} is installed but package.json pins {pin}: run `npm ci`")
        versions[name] = installed
    return versions


def copy(src: Path, dest: Path) -> int:
    if not src.is_file():
        fail(f"expected file is missing: {src.relative_to(ROOT)}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return dest.stat().st_size


# --------------------------------------------------------------------------
# staff.css
# --------------------------------------------------------------------------
def build_staff_css(out: Path) -> dict:
    sass = NODE_MODULES / ".bin" / "sass"
    if not sass.exists():
        fail("node_modules/.bin/sass is missing: run `npm ci`")
    dest = out / "staff.css"
    cmd = [
        str(sass),
        "--no-source-map",
        "--style=compressed",
        "--load-path=node_modules",
        "--fatal-deprecation=import",
        str(SRC / "staff.scss"),
        str(dest),
    ]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        fail("sass failed on static/src/staff.scss:\n" + result.stderr.strip())
    if result.stderr.strip():
        # Deprecation warnings etc.: show them, they are not fatal.
        print(result.stderr.strip(), file=sys.stderr)

    css = dest.read_text(encoding="utf-8")
    if re.search(r"GDS[\s_-]*Transport", css, re.I):
        fail("staff.css mentions GDS Transport (GOV.UK-only font): check $govuk-font-family")
    if "@font-face" in css:
        fail("staff.css contains @font-face: set $govuk-include-default-font-face: false")
    if FONT_FILE.search(css):
        fail("staff.css has a url() to a font file")
    if re.search(r"crown|crest|govuk-logo", css, re.I):
        fail("staff.css refers to the GOV.UK crown/crest: do not compile the header or footer components")

    # Every image url must be one we copy from govuk-frontend's images.
    images_src = GOVUK / "dist" / "govuk" / "assets" / "images"
    images_dest = out / "govuk-assets" / "images"
    images_dest.mkdir(parents=True)
    prefix = BUILD_URL + "govuk-assets/images/"
    copied = []
    for _, url in URL.findall(css):
        if url.startswith("data:"):
            continue
        if not url.startswith(prefix):
            fail(f"staff.css has url({url}) outside {prefix}: set $govuk-images-path")
        name = url[len(prefix):]
        if "/" in name or re.search(r"crown|crest|govuk-icon|favicon|opengraph", name, re.I):
            fail(f"staff.css refers to a GOV.UK-only image: {name}")
        if name not in copied:
            copy(images_src / name, images_dest / name)
            copied.append(name)
    return {"bytes": dest.stat().st_size, "images": copied}


# --------------------------------------------------------------------------
# child.css
# --------------------------------------------------------------------------
def strip_comments(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.S)


def build_child_css(out: Path) -> dict:
    src = SRC / "child.css"
    if not src.is_file():
        fail("static/src/child.css is missing")
    css = strip_comments(src.read_text(encoding="utf-8"))
    problems = []
    for lineno, line in enumerate(css.splitlines(), 1):
        # @media (min-width: ...) is a query, not a declaration.
        if line.lstrip().startswith("@"):
            continue
        for match in PHYSICAL_PROPERTY.finditer(line):
            problems.append(f"  line {lineno}: {match.group(1)}: use the logical property")
        for match in PHYSICAL_VALUE.finditer(line):
            problems.append(f"  line {lineno}: {match.group(1)}: {match.group(2)}: use start/end/block/inline")
    if problems:
        fail("static/src/child.css uses physical properties (breaks dir=rtl):\n" + "\n".join(problems))
    if re.search(r"GDS[\s_-]*Transport", css, re.I):
        fail("child.css mentions GDS Transport")
    size = copy(src, out / "child.css")
    return {"bytes": size, "urls": [u for _, u in URL.findall(css)]}


def check_relative_urls(out: Path, stylesheet: str, urls: list[str]) -> None:
    """url()s in a copied stylesheet must resolve to files in the build."""
    for url in urls:
        if url.startswith("data:"):
            continue
        if re.match(r"^[a-z]+:|^//", url, re.I):
            fail(f"{stylesheet} loads {url} from another origin")
        if url.startswith("/"):
            if not url.startswith(BUILD_URL):
                fail(f"{stylesheet}: url({url}) is outside {BUILD_URL}")
            target = out / url[len(BUILD_URL):]
        else:
            rel = os.path.normpath(os.path.join(os.path.dirname(stylesheet), url))
            if rel.startswith(".."):
                fail(f"{stylesheet}: url({url}) points outside static/build/")
            target = out / rel
        if not target.is_file():
            fail(f"{stylesheet}: url({url}) does not resolve to a built file")


# --------------------------------------------------------------------------
# JavaScript
# --------------------------------------------------------------------------
def build_js(out: Path) -> dict:
    """Every page script of static/js/ bundled and minified by esbuild into js/NAME.js: imports
    of npm packages (staff.js: the GOV.UK Frontend components it names, tree shaken) are
    inlined, so a page loads one file. The service worker is not a page script: it is served
    from its own route at a URL that never changes."""
    esbuild = NODE_MODULES / ".bin" / "esbuild"
    if not esbuild.exists():
        fail("node_modules/.bin/esbuild is missing: run `npm ci`")
    sizes = {}
    for src in sorted((STATIC / "js").glob("*.js")):
        if src.name == "service-worker.js":
            continue
        dest = out / "js" / src.name
        result = subprocess.run(
            [str(esbuild), str(src), "--bundle", "--minify", "--format=esm", "--target=es2020",
             "--legal-comments=none", "--log-level=warning", f"--outfile={dest}"],
            cwd=ROOT, capture_output=True, text=True)
        if result.returncode != 0:
            fail(f"esbuild failed on static/js/{src.name}:\n" + result.stderr.strip())
        sizes[f"js/{src.name}"] = dest.stat().st_size
    # axe-core is test tooling: the browser tests read it from node_modules/, it is not served.
    return sizes


def build_service_worker(out: Path) -> None:
    """static/js/service-worker.js bundled with the Workbox modules it imports into
    sw/service-worker.js; inject_precache() then writes its precache list into it."""
    dest = out / "sw" / "service-worker.js"
    result = subprocess.run(
        [str(NODE_MODULES / ".bin" / "esbuild"), str(STATIC / "js" / "service-worker.js"),
         "--bundle", "--minify", "--format=iife", "--target=es2020", "--legal-comments=none",
         "--define:process.env.NODE_ENV=\"production\"", "--log-level=warning",
         f"--outfile={dest}"],
        cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        fail("esbuild failed on static/js/service-worker.js:\n" + result.stderr.strip())


def inject_precache(out: Path) -> dict:
    """Workbox's injectManifest (workbox-build, scripts/inject_precache.mjs): the service worker
    precaches every hashed file of the build, and nothing else."""
    result = subprocess.run(
        ["node", str(ROOT / "scripts" / "inject_precache.mjs"),
         str(out / "sw" / "service-worker.js"), str(out)],
        cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        fail("workbox-build injectManifest failed:\n" + (result.stderr or result.stdout).strip())
    return json.loads(result.stdout)


def build_icons(out: Path) -> list[str]:
    """The web app manifest's icons (PNG, 192 and 512 pixels, and a maskable 512 whose picture
    stays inside the safe circle): static/icon.svg's speech bubble, drawn with Pillow."""
    from PIL import Image, ImageDraw  # heavy: only the asset build draws

    dest = out / "icons"
    dest.mkdir()
    names = []
    for name, size, maskable in (("icon-192.png", 192, False), ("icon-512.png", 512, False),
                                 ("icon-maskable-512.png", 512, True)):
        big = size * 4  # drawn large, then scaled down: smooth edges
        unit, shrink = big / 32, 0.75 if maskable else 1.0
        image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        if maskable:
            draw.rectangle((0, 0, big, big), fill=THEME_COLOUR)
        else:
            draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=6 * unit, fill=THEME_COLOUR)

        def at(x: float, y: float) -> tuple[float, float]:
            return (16 + (x - 16) * shrink) * unit, (17 + (y - 17) * shrink) * unit

        draw.rounded_rectangle(at(5, 9) + at(27, 22), radius=2 * unit * shrink, fill="white")
        draw.polygon([at(9, 21), at(15, 21), at(9, 27)], fill="white")
        image.resize((size, size), Image.LANCZOS).save(dest / name, optimize=True)
        names.append(f"icons/{name}")
    return names


def copy_page_files(out: Path) -> list[str]:
    """Other files of static/ that pages link, copied so that they get hashed names too."""
    names = ["icon.svg"] + [f"css/{p.name}" for p in sorted((STATIC / "css").glob("*.css"))]
    for name in names:
        copy(STATIC / name, out / name)
    return names


# --------------------------------------------------------------------------
# Pictograms
# --------------------------------------------------------------------------
def build_pictograms(out: Path) -> dict:
    try:
        table = tomllib.loads(PICTOGRAMS_TOML.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail("static/pictograms.toml is missing")
    except tomllib.TOMLDecodeError as exc:
        fail(f"static/pictograms.toml: {exc}")
    source = package_dir(PICTOGRAM_PACKAGE)
    dest = out / "pictograms"
    dest.mkdir()
    missing_names = sorted(REQUIRED_PICTOGRAMS - table.keys())
    if missing_names:
        fail("static/pictograms.toml lacks required names: " + ", ".join(missing_names))
    problems = []
    index = {}
    total = 0
    for name, entry in sorted(table.items()):
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            problems.append(f"  [{name}]: names are lower_snake_case")
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or not entry.get("label"):
            problems.append(f"  [{name}]: needs file = \"...svg\" and label = \"...\"")
            continue
        file = entry["file"]
        path = source / file
        if "/" in file or not file.endswith(".svg") or not path.is_file():
            problems.append(f"  [{name}]: {file} is not in {PICTOGRAM_PACKAGE}")
            continue
        svg = path.read_text(encoding="utf-8")
        if re.search(r"<script|<foreignObject|\son[a-z]+\s*=|(?:href|src)\s*=\s*['\"](?!#)", svg, re.I):
            problems.append(f"  [{name}]: {file} has scripts or external references")
            continue
        total += copy(path, dest / f"{name}.svg")
        index[name] = {"file": file, "label": entry["label"]}
    if problems:
        fail("pictograms:\n" + "\n".join(problems))
    optimise_svgs(dest)
    sizes = {p.stem: p.stat().st_size for p in dest.glob("*.svg")}
    too_big = [f"  {name}: {kb(size)}" for name, size in sorted(sizes.items())
               if size > PICTURE_BUDGET]
    if too_big:
        fail(f"pictograms over {kb(PICTURE_BUDGET)} each after SVGO:\n" + "\n".join(too_big))
    total = sum(sizes.values())
    if total > PICTOGRAM_BUDGET:
        print(f"build_assets: warning: pictograms total {kb(total)} (budget {kb(PICTOGRAM_BUDGET)})",
              file=sys.stderr)
    sprite = build_sprite(dest, sorted(sizes), out / "pictograms.svg")
    build_step_sprites(dest)
    return {"count": len(index), "bytes": total, "index": index, "sprite": sprite}


SVG_ROOT = re.compile(r"^\s*<svg\b([^>]*)>(.*)</svg>\s*$", re.S)
VIEWBOX = re.compile(r'\bviewBox="([^"]+)"')


def build_sprite(folder: Path, names: list[str], dest: Path) -> int:
    """One file of these pictures, each a <symbol id="NAME">: a page of many pictures costs one
    request (cached a year), not one each. Ids inside a picture get its name as a prefix."""
    symbols = []
    for name in names:
        path = folder / f"{name}.svg"
        if not path.is_file():
            fail(f"{dest.name}: no pictogram {name!r} in static/pictograms.toml")
        match = SVG_ROOT.match(path.read_text(encoding="utf-8"))
        view_box = VIEWBOX.search(match.group(1)) if match else None
        if not view_box:
            fail(f"pictograms/{path.name}: no <svg viewBox=...> root after SVGO")
        body = re.sub(r'\bid="([^"]+)"', rf'id="{name}-\1"', match.group(2))
        body = re.sub(r"(url\(|href=\")#", rf"\g<1>#{name}-", body)
        symbols.append(f'<symbol id="{name}" viewBox="{view_box.group(1)}">{body}</symbol>')
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text('<svg xmlns="http://www.w3.org/2000/svg">' + "".join(symbols) + "</svg>\n",
                    encoding="utf-8")
    return dest.stat().st_size


def build_step_sprites(folder: Path) -> None:
    """pictograms/steps/QUESTIONNAIRE/STEP.svg: what one step page shows, a few KB, where the
    sprite of every picture is about 14 KB compressed."""
    for path in sorted(QUESTIONNAIRES.glob("*.toml")):
        questionnaire = tomllib.loads(path.read_text(encoding="utf-8"))
        for step in questionnaire["steps"]:
            names = STEP_PAGE_PICTURES | {step.get("picture")} | {
                option.get("picture") for option in step.get("options", [])}
            build_sprite(folder, sorted(names - {None}),
                         folder / "steps" / questionnaire["id"] / f"{step['id']}.svg")


def optimise_svgs(folder: Path) -> None:
    svgo = NODE_MODULES / ".bin" / "svgo"
    if not svgo.exists():
        fail("node_modules/.bin/svgo is missing: run `npm ci`")
    # One decimal in a 36-unit viewBox: at most 0.14 px off on a 48 px picture.
    result = subprocess.run([str(svgo), "--folder", str(folder), "--multipass", "--quiet",
                             "--precision", "1"],
                            cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        fail("svgo failed:\n" + result.stderr.strip())


# --------------------------------------------------------------------------
# Fonts
# --------------------------------------------------------------------------
def build_fonts(out: Path) -> dict:
    dest = out / "fonts"
    dest.mkdir()
    result = {}
    for font in FONTS:
        pkg = package_dir(font["package"])
        meta = read_json(pkg / "metadata.json")
        ranges = read_json(pkg / "unicode.json")
        subset = font["subset"]
        if subset not in ranges:
            fail(f"{font['package']} has no {subset} subset")
        family = meta["family"]
        rules = [
            f"/* {family} ({subset} subset) from {font['package']}, "
            f"{meta['license']['type']}: {meta['license']['attribution']}.",
            "   Licence: /static/build/licences/ . Link this file only on pages in a",
            f"   language written in this script. Generated by scripts/build_assets.py. */",
        ]
        files = {}
        for weight in font["weights"]:
            if weight not in meta["weights"]:
                continue
            name = f"{meta['id']}-{subset}-{weight}-normal.woff2"
            files[name] = copy(pkg / "files" / name, dest / name)
            rules.append(
                "@font-face {\n"
                f"  font-family: '{family}';\n"
                "  font-style: normal;\n"
                "  font-display: swap;\n"
                f"  font-weight: {weight};\n"
                f"  src: url('./{name}') format('woff2');\n"
                f"  unicode-range: {ranges[subset]};\n"
                "}"
            )
        if 400 not in meta["weights"] or not files:
            fail(f"{font['package']} has no weight 400 file")
        (dest / font["css"]).write_text("\n".join(rules) + "\n", encoding="utf-8")
        result[font["css"]] = {"family": family, "files": files}
    return result


def codepoints(unicode_range: str) -> set[int]:
    points = set()
    for part in unicode_range.replace(" ", "").split(","):
        first, _, last = part.removeprefix("U+").partition("-")
        points.update(range(int(first, 16), int(last or first, 16) + 1))
    return points


def unicode_range(points: set[int]) -> str:
    runs, ordered = [], sorted(points)
    for point in ordered:
        if runs and point == runs[-1][1] + 1:
            runs[-1][1] = point
        else:
            runs.append([point, point])
    return ",".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in runs)


def catalogue_characters(language: str) -> set[int]:
    """Every character of the language's translations (the pages' fixed text)."""
    from babel.messages.pofile import read_po

    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalogue = read_po(handle)
    text = "".join("".join(m.string) if isinstance(m.string, (tuple, list)) else m.string or ""
                   for m in catalogue)
    return {ord(c) for c in text}


def build_language_fonts(out: Path) -> dict:
    """fonts/LANG.css for each language in LANGUAGE_FONTS: its script's font subset to the
    characters of the language's catalogue (a small file every page in that language loads), and
    the whole script file for every other character of the script (downloaded only by a page
    showing one, e.g. a child's own words)."""
    from fontTools import subset

    dest = out / "fonts"
    result = {}
    for language, script in LANGUAGE_FONTS.items():
        font = next(f for f in FONTS if f["subset"] == script)
        pkg = package_dir(font["package"])
        meta = read_json(pkg / "metadata.json")
        script_points = codepoints(read_json(pkg / "unicode.json")[script])
        wanted = catalogue_characters(language) & script_points
        if not wanted:
            fail(f"translations/{language} has no character of the {script} script")
        rules = [f"/* {meta['family']} for pages in {language}: generated by "
                 "scripts/build_assets.py (licence: /static/build/licences/). */"]
        files = {}
        for weight in LANGUAGE_FONT_WEIGHTS:
            whole = f"{meta['id']}-{script}-{weight}-normal.woff2"
            name = f"{language}-{weight}.woff2"
            options = subset.Options()
            options.flavor = "woff2"
            options.hinting = False
            if script in NO_LAYOUT_SCRIPTS:
                options.layout_features = []
            face = subset.load_font(str(pkg / "files" / whole), options)
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=wanted)
            subsetter.subset(face)
            subset.save_font(face, str(dest / name), options)
            files[name] = (dest / name).stat().st_size
            for src, points in ((whole, script_points - wanted), (name, wanted)):
                rules.append(
                    "@font-face {\n"
                    f"  font-family: '{meta['family']}';\n"
                    "  font-style: normal;\n"
                    "  font-display: swap;\n"
                    f"  font-weight: {weight};\n"
                    f"  src: url('./{src}') format('woff2');\n"
                    f"  unicode-range: {unicode_range(points)};\n"
                    "}")
        (dest / f"{language}.css").write_text("\n".join(rules) + "\n", encoding="utf-8")
        result[f"{language}.css"] = {"family": meta["family"], "files": files}
    return result


# --------------------------------------------------------------------------
# Hashed names and compressed copies
# --------------------------------------------------------------------------
def hashed_name(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return f"{path.stem}.{digest}{path.suffix}"


def hash_files(out: Path, page_files: list[str]) -> dict[str, str]:
    """Beside each file a copy named after its content (NAME.HASH.EXT), which the server may let
    browsers keep for a year; stylesheets refer to the hashed names of what they load. Returns
    {name given to url_for('static', ...): static-relative name of the hashed copy}."""
    names = {}  # build-relative name -> hashed build-relative name
    files = [p for p in sorted(out.rglob("*")) if p.is_file()
             and p.relative_to(out).parts[0] not in UNHASHED]
    # Stylesheets last: their url()s name the hashed copies of the files hashed before them.
    for path in sorted(files, key=lambda p: p.suffix == ".css"):
        relative = path.relative_to(out).as_posix()
        if path.suffix == ".css":
            css = path.read_text(encoding="utf-8")
            path.write_text(URL.sub(lambda m: hashed_url(m, relative, names), css),
                            encoding="utf-8")
        hashed = path.with_name(hashed_name(path))
        shutil.copyfile(path, hashed)
        names[relative] = hashed.relative_to(out).as_posix()
    static = {f"build/{name}": f"build/{hashed}" for name, hashed in names.items()}
    for name in page_files:  # static/NAME is linked as NAME: serve its built copy
        static[name] = static.pop(f"build/{name}")
    return static


def hashed_url(match: re.Match, stylesheet: str, names: dict[str, str]) -> str:
    url = match.group(2)
    if url.startswith(BUILD_URL):
        target = url[len(BUILD_URL):]
        return f"url({BUILD_URL}{names.get(target, target)})" if target in names else match.group(0)
    if url.startswith("data:") or re.match(r"^[a-z]+:|^//|^/", url, re.I):
        return match.group(0)
    folder = os.path.dirname(stylesheet)
    target = os.path.normpath(os.path.join(folder, url)).replace(os.sep, "/")
    if target not in names:
        fail(f"{stylesheet}: url({url}) is not a built file")
    return f"url({os.path.relpath(names[target], folder or '.')})"


def compress(out: Path) -> int:
    """NAME.br and NAME.gz beside each text file, where they are smaller: WhiteNoise serves the
    one the browser accepts."""
    from whitenoise.compress import Compressor

    compressor = Compressor(quiet=True)
    written = 0
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        if compressor.should_compress(path.name):
            written += len(list(compressor.compress(str(path))))
    return written


# --------------------------------------------------------------------------
# Licences and attribution
# --------------------------------------------------------------------------
def build_licences(out: Path, versions: dict[str, str]) -> list[str]:
    dest = out / "licences"
    dest.mkdir()
    # govuk-frontend's npm package ships no LICENSE file (its README says
    # MIT), and the pictogram package ships only the MIT licence of its
    # packaging, not the CC BY 4.0 of the Twemoji graphics: those two texts
    # are kept in static/src/licences/.
    sources = {
        "govuk-frontend-MIT.txt": SRC / "licences" / "govuk-frontend-LICENSE.txt",
        "twemoji-graphics-CC-BY-4.0.txt": SRC / "licences" / "CC-BY-4.0.txt",
        "twemoji-svg-package-MIT.txt": package_dir(PICTOGRAM_PACKAGE) / "license",
    }
    for font in FONTS:
        short = font["package"].split("/")[-1]
        sources[f"{short}-OFL-1.1.txt"] = package_dir(font["package"]) / "LICENSE"
    for name, src in sources.items():
        copy(src, dest / name)
    copy(ATTRIBUTION, dest / "ATTRIBUTION.md")

    # ATTRIBUTION.md must name the exact versions we ship.
    text = ATTRIBUTION.read_text(encoding="utf-8")
    shipped = ["govuk-frontend", PICTOGRAM_PACKAGE] + [f["package"] for f in FONTS]
    stale = [f"{p}@{versions[p]}" for p in shipped if f"{p}@{versions[p]}" not in text]
    if stale:
        fail("static/ATTRIBUTION.md does not mention " + ", ".join(stale) + ": update it")
    return sorted(sources) + ["ATTRIBUTION.md"]


# --------------------------------------------------------------------------
def main() -> int:
    started = time.monotonic()
    os.chdir(ROOT)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=STATIC))
    tmp.chmod(0o755)  # mkdtemp makes it private; the web server must read it
    try:
        versions = check_packages()
        staff = build_staff_css(tmp)
        child = build_child_css(tmp)
        js = build_js(tmp)
        pictograms = build_pictograms(tmp)
        check_relative_urls(tmp, "child.css", child["urls"])
        fonts = build_fonts(tmp)
        fonts.update(build_language_fonts(tmp))
        licences = build_licences(tmp, versions)
        page_files = copy_page_files(tmp) + list(js)
        icons = build_icons(tmp)
        build_service_worker(tmp)

        files = {
            str(p.relative_to(tmp)): p.stat().st_size
            for p in sorted(tmp.rglob("*")) if p.is_file()
        }
        static = hash_files(tmp, page_files)
        precache = inject_precache(tmp)
        compressed = compress(tmp)
        manifest = {
            "packages": versions,
            "pictograms": pictograms["index"],
            "fonts": {css: f["family"] for css, f in fonts.items()},
            "files": files,
            "static": static,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")

        if BUILD.exists():
            shutil.rmtree(BUILD)
        tmp.rename(BUILD)
    except BuildError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"build_assets: ERROR: {exc}", file=sys.stderr)
        return 1
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

    font_parts = []
    for css, info in fonts.items():
        for name, size in info["files"].items():
            font_parts.append(f"{name.split('-normal')[0]} {kb(size)}")
    total = sum(files.values())
    print(
        f"build_assets: wrote static/build/ ({len(files) + 1} files, {kb(total)}) in "
        f"{time.monotonic() - started:.1f}s: staff.css {kb(staff['bytes'])}, "
        f"child.css {kb(child['bytes'])}, "
        + ", ".join(f"{name} {kb(size)}" for name, size in js.items()) + ", "
        f"{compressed} compressed copies, {len(icons)} icons, service worker precaching "
        f"{precache['count']} files ({kb(precache['size'])}), "
        f"{pictograms['count']} pictograms {kb(pictograms['bytes'])} "
        f"(sprite {kb(pictograms['sprite'])}), "
        f"fonts: {', '.join(font_parts)}, govuk images {len(staff['images'])}, "
        f"licences {len(licences)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
