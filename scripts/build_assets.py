#!/usr/bin/env python3
"""Build the front-end assets into static/build/ (git-ignored).

Run from the repository root after `npm ci`:

    python scripts/build_assets.py

Plain Python 3.11 standard library. It rebuilds static/build/ from scratch
every time (into a temporary folder that replaces the old one only when every
step and check has passed), so it is idempotent. Nothing it writes is loaded
from another origin at run time.

It writes:
  staff.css                 static/src/staff.scss compiled with dart sass
                            (GOV.UK Frontend, system fonts, no crown)
  child.css                 copy of static/src/child.css (checked: logical
                            properties only, url()s resolve)
  govuk-frontend.min.js     GOV.UK Frontend ES module bundle
  govuk-assets/images/      only the images staff.css refers to (none today)
  pictograms/NAME.svg       the pictures named in static/pictograms.toml
  fonts/                    Noto Sans Ethiopic + Noto Naskh Arabic WOFF2
                            (script subset only) and ethiopic.css / arabic.css
  licences/                 licence texts for everything above
  manifest.json             versions, files and sizes (for humans and tests)

Any problem (missing package, wrong version, a missing pictogram, GDS
Transport or a font url in staff.css, ...) stops the build with exit code 1
and a message starting with "build_assets: ERROR".
"""

from __future__ import annotations

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

PICTOGRAM_BUDGET = 300 * 1024  # bytes; a warning, not an error

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
    sizes = {}
    # ES module build: load with <script type="module">. Drop the source map
    # comment: we do not ship maps (it would only cause a 404 in dev tools).
    js = (GOVUK / "dist" / "govuk" / "govuk-frontend.min.js").read_text(encoding="utf-8")
    js = re.sub(r"\n?//# sourceMappingURL=\S+\s*$", "\n", js)
    (out / "govuk-frontend.min.js").write_text(js, encoding="utf-8")
    sizes["govuk-frontend.min.js"] = (out / "govuk-frontend.min.js").stat().st_size
    # axe-core is test tooling: the browser tests read it from node_modules/, it is not served.
    return sizes


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
    if total > PICTOGRAM_BUDGET:
        print(f"build_assets: warning: pictograms total {kb(total)} (budget {kb(PICTOGRAM_BUDGET)})",
              file=sys.stderr)
    return {"count": len(index), "bytes": total, "index": index}


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
        licences = build_licences(tmp, versions)

        files = {
            str(p.relative_to(tmp)): p.stat().st_size
            for p in sorted(tmp.rglob("*")) if p.is_file()
        }
        manifest = {
            "packages": versions,
            "pictograms": pictograms["index"],
            "fonts": {css: f["family"] for css, f in fonts.items()},
            "files": files,
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
        f"child.css {kb(child['bytes'])}, govuk-frontend.min.js {kb(js['govuk-frontend.min.js'])}, "
        f"{pictograms['count']} pictograms {kb(pictograms['bytes'])}, "
        f"fonts: {', '.join(font_parts)}, govuk images {len(staff['images'])}, "
        f"licences {len(licences)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
