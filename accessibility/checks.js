// The audit's checks inside the page. Added to every page before its own scripts run (as a
// Playwright init script, so the page's Content-Security-Policy does not apply to it); the
// Python side calls window.__a11y.* with page.evaluate, one call per check and page.
(() => {
  if (window.__a11y) return;

  const FOCUSABLE = [
    "a[href]", "area[href]", "button", "input", "select", "textarea", "summary", "iframe",
    "audio[controls]", "video[controls]", "[tabindex]", "[contenteditable]:not([contenteditable=false])",
  ].join(",");
  const MEDIA = "audio[controls], video[controls]";

  const text = (value) => (value || "").replace(/\s+/g, " ").trim();

  function describe(el) {
    let name = el.tagName.toLowerCase();
    if (el.id) name += `#${el.id}`;
    else if (el.classList.length) name += `.${[...el.classList].slice(0, 2).join(".")}`;
    if (el.type === "radio" || el.type === "checkbox") name += `[${el.name}=${el.value}]`;
    const label = text(el.getAttribute("aria-label") || el.innerText || el.value || el.name).slice(0, 40);
    return label ? `${name} "${label}"` : name;
  }

  const rendered = (el) => el.checkVisibility({ visibilityProperty: true });

  function tabbable(el) {
    if (el.matches("input[type=hidden]") || el.disabled || el.closest("[inert], fieldset[disabled]")) return false;
    if (el.matches("summary") && el.parentElement.tagName !== "DETAILS") return false;
    if (!el.matches(MEDIA) && el.tabIndex < 0) return false;
    return rendered(el);
  }

  function focusables() {
    return [...document.querySelectorAll(FOCUSABLE)].filter(tabbable);
  }

  // What shows focus: the element's outline and box-shadow, and those of its labels and of
  // their ::before/::after (GOV.UK radios and the child's picture cards draw focus there).
  function ringParts(el) {
    const nodes = [el, ...(el.labels ? [...el.labels] : [])];
    const parts = [];
    for (const node of nodes) {
      for (const pseudo of [null, "::before", "::after"]) {
        const s = getComputedStyle(node, pseudo);
        parts.push({ outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
                     visibleOutline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0
                       && !/rgba\([^)]*,\s*0\)|transparent/.test(s.outlineColor),
                     shadow: s.boxShadow });
      }
    }
    return parts;
  }

  // WCAG 2.4.11: a focused control is not hidden entirely by other content (a sticky bar). Only
  // the part on the screen counts (a control taller than the screen, such as a table's box).
  function obscured(el) {
    const own = [el, ...(el.labels ? [...el.labels] : [])];
    for (const rect of el.getClientRects()) {
      const left = Math.max(rect.left, 0);
      const top = Math.max(rect.top, 0);
      const w = Math.min(rect.right, window.innerWidth) - left;
      const h = Math.min(rect.bottom, window.innerHeight) - top;
      if (w <= 0 || h <= 0) continue;
      for (const [x, y] of [[0.5, 0.5], [0.1, 0.1], [0.9, 0.1], [0.1, 0.9], [0.9, 0.9]]) {
        const hit = document.elementFromPoint(left + x * w, top + y * h);
        if (hit && own.some((node) => node === hit || node.contains(hit) || hit.contains(node))) return false;
      }
    }
    return true;
  }

  const log = [];
  document.addEventListener("focusin", (event) => {
    const el = event.target;
    if (!(el instanceof Element)) return;
    log.push({ index: el.dataset.a11yIndex ?? null, what: describe(el), ring: ringParts(el),
               hidden: obscured(el) });
  }, true);

  function shows(focused, resting) {
    return focused.some((part, i) => (part.visibleOutline && part.outline !== resting[i].outline)
      || (part.shadow !== "none" && part.shadow !== resting[i].shadow));
  }

  // Mark the focusable elements and note how they look without focus.
  function prepare() {
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    log.length = 0;
    return focusables().map((el, index) => {
      el.dataset.a11yIndex = String(index);
      const radio = el.matches("input[type=radio]") && el.name;
      return { index: String(index), what: describe(el), media: el.matches(MEDIA),
               group: radio ? `radio:${el.form ? el.form.action : ""}:${el.name}` : `el:${index}`,
               ring: ringParts(el) };
    });
  }

  // After the Tab key was pressed enough times: what was reached, what showed no focus.
  function tabResult(expected) {
    const byIndex = Object.fromEntries(expected.map((item) => [item.index, item]));
    const reached = new Set();
    const unseen = [];
    const hidden = [];
    for (const entry of log) {
      const item = entry.index === null ? null : byIndex[entry.index];
      if (!item) continue;
      reached.add(item.group);
      if (!item.media && !shows(entry.ring, item.ring) && !unseen.includes(item.what)) unseen.push(item.what);
      if (entry.hidden && !hidden.includes(item.what)) hidden.push(item.what);
    }
    const unreached = [];
    for (const item of expected) {
      if (!reached.has(item.group) && !unreached.includes(item.what)) {
        unreached.push(item.what);
        reached.add(item.group);
      }
    }
    return { unreached, unseen, hidden };
  }

  // How a choice looks apart from its colours.
  function shape(el, withLabels) {
    const nodes = [el, ...(withLabels && el.labels ? [...el.labels] : [])];
    const parts = [];
    for (const node of nodes) {
      for (const pseudo of [null, "::before", "::after"]) {
        const s = getComputedStyle(node, pseudo);
        parts.push([s.content, s.display, s.visibility, s.opacity, s.borderTopStyle,
          s.borderTopWidth, s.borderTopLeftRadius, s.backgroundImage, s.transform, s.width,
          s.height, s.fontWeight, s.textDecorationLine, s.outlineStyle, s.outlineWidth,
          s.boxShadow.replace(/rgba?\([^)]*\)/g, "")].join("|"));
      }
    }
    return parts.join("#");
  }

  function nativeMark(el) {
    const s = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return s.appearance !== "none" && parseFloat(s.opacity) > 0.5 && box.width >= 8 && box.height >= 8;
  }

  function choices() {
    const problems = [];
    const inputs = [...document.querySelectorAll("input[type=radio], input[type=checkbox]")]
      .filter((el) => !el.disabled && (rendered(el) || [...(el.labels || [])].some(rendered)));
    const saved = inputs.map((el) => el.checked);
    for (const el of inputs) {
      if (nativeMark(el)) continue;
      const before = shape(el, true);
      el.checked = !el.checked;
      const after = shape(el, true);
      inputs.forEach((input, i) => { input.checked = saved[i]; });
      if (before === after) problems.push(`a chosen ${el.type} looks the same as one not chosen, but for colour: ${describe(el)}`);
    }
    for (const el of document.querySelectorAll("[aria-pressed]")) {
      if (!rendered(el)) continue;
      const was = el.getAttribute("aria-pressed");
      const before = shape(el, false);
      el.setAttribute("aria-pressed", was === "true" ? "false" : "true");
      const after = shape(el, false);
      el.setAttribute("aria-pressed", was);
      if (before === after) problems.push(`a pressed button looks the same as one not pressed, but for colour: ${describe(el)}`);
    }
    return problems;
  }

  function seconds(list) {
    return Math.max(0, ...list.split(",").map((v) => (v.trim().endsWith("ms") ? parseFloat(v) / 1000 : parseFloat(v))));
  }

  function inspect(options) {
    const problems = [];
    const root = document.documentElement;
    const h1s = [...document.querySelectorAll("h1")].filter(rendered);
    if (h1s.length !== 1) problems.push(`${h1s.length} h1 headings (need exactly one)`);

    // Nothing by colour alone: links in running text are underlined...
    for (const link of document.querySelectorAll("a[href]")) {
      if (!rendered(link) || !link.parentElement) continue;
      const around = text(link.parentElement.innerText).replace(text(link.innerText), "");
      if (!/\p{L}/u.test(around)) continue;
      const s = getComputedStyle(link);
      if (!s.textDecorationLine.includes("underline") && s.borderBottomStyle === "none") {
        problems.push(`link in text not underlined: ${describe(link)}`);
      }
    }
    // ...errors are in words, and every field marked wrong says what is wrong...
    for (const error of document.querySelectorAll(".govuk-error-message, .govuk-error-summary, .child-error")) {
      if (rendered(error) && !text(error.innerText)) problems.push(`error shown without words: ${describe(error)}`);
    }
    const wrong = document.querySelectorAll("[aria-invalid=true], .govuk-input--error, .govuk-textarea--error, .govuk-select--error, .child-input--error, .child-textarea--error");
    for (const field of wrong) {
      const described = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean)
        .map((id) => document.getElementById(id)).filter(Boolean);
      const group = field.closest(".govuk-form-group--error");
      const words = described.map((el) => text(el.textContent)).join(" ")
        || (group ? text([...group.querySelectorAll(".govuk-error-message")].map((el) => el.textContent).join(" ")) : "");
      if (!words) problems.push(`field marked as wrong without words saying why: ${describe(field)}`);
    }
    // ...and choices show they are chosen by more than colour.
    problems.push(...choices());

    // prefers-reduced-motion: reduce (emulated): nothing moves.
    for (const animation of document.getAnimations()) {
      if (animation.playState === "running") problems.push(`animation running with reduced motion: ${describe(animation.effect && animation.effect.target || root)}`);
    }
    for (const el of document.querySelectorAll("*")) {
      const s = getComputedStyle(el);
      if (s.transitionProperty !== "none" && seconds(s.transitionDuration) > 0.01) {
        problems.push(`transition of ${s.transitionDuration} with reduced motion: ${describe(el)}`);
      }
      if (s.animationName !== "none" && seconds(s.animationDuration) > 0.01) {
        problems.push(`animation ${s.animationName} with reduced motion: ${describe(el)}`);
      }
    }

    // Child pages: every target at least 44 by 44 CSS pixels.
    if (options.child) {
      for (const el of focusables()) {
        const boxes = [el, ...(el.labels ? [...el.labels] : [])].filter(rendered)
          .map((node) => node.getBoundingClientRect());
        const wide = Math.max(...boxes.map((b) => b.width));
        const high = Math.max(...boxes.map((b) => b.height));
        if (wide < 43.5 || high < 43.5) problems.push(`target ${Math.round(wide)}x${Math.round(high)} px, under 44x44: ${describe(el)}`);
      }
    }
    problems.push(...layout());
    return { title: document.title, lang: root.lang, dir: root.dir, problems: [...new Set(problems)] };
  }

  function srOnly(el) {
    for (let node = el; node && node !== document.body; node = node.parentElement) {
      const s = getComputedStyle(node);
      if (s.clipPath !== "none" || s.clip !== "auto") return true;
    }
    return false;
  }

  // A box that scrolls sideways and takes the keyboard focus (a wide data table's, WCAG 1.4.10):
  // what is beyond its edge can be reached.
  function scroller(el) {
    const s = getComputedStyle(el);
    return (s.overflowX === "auto" || s.overflowX === "scroll") && el.tabIndex >= 0;
  }
  const inScroller = (el) => { for (let node = el; node; node = node.parentElement) if (scroller(node)) return true; return false; };

  // Layout: no text beside the screen or spilling out of its box, no controls on top of each other.
  function layout() {
    const problems = [];
    const width = document.documentElement.clientWidth;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    const seen = new Set();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!/\S/.test(node.data) || seen.has(el) || !rendered(el) || el.closest("option, select, script, style, title")) continue;
      range.selectNodeContents(node);
      const off = [...range.getClientRects()].some((r) => r.width > 0 && (r.left < -1 || r.right > width + 1));
      if (off && !srOnly(el) && !inScroller(el)) {
        seen.add(el);
        problems.push(`text beside the screen: ${describe(el)}`);
      }
    }
    const controls = focusables().filter((el) => !srOnly(el));
    for (const el of controls) {
      const s = getComputedStyle(el);
      if (s.display === "inline" || el.matches("input, select, textarea, audio, video, canvas") || scroller(el)) continue;
      const box = el.getBoundingClientRect();
      const parts = [];
      const inside = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let node = inside.nextNode(); node; node = inside.nextNode()) {
        if (!/\S/.test(node.data) || srOnly(node.parentElement)) continue;
        range.selectNodeContents(node);
        parts.push(...range.getClientRects());
      }
      el.querySelectorAll("img, svg").forEach((picture) => parts.push(picture.getBoundingClientRect()));
      const spills = parts.some((r) => r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1));
      if (spills) problems.push(`words or pictures spill out of ${describe(el)}`);
    }
    // (one box per line for a link that wraps)
    const boxes = controls.map((el) => [el, [...el.getClientRects()]]);
    const overlap = (ra, rb) => Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left) > 2
      && Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top) > 2;
    for (let i = 0; i < boxes.length; i += 1) {
      for (let j = i + 1; j < boxes.length; j += 1) {
        const [a, ra] = boxes[i];
        const [b, rb] = boxes[j];
        if (a.contains(b) || b.contains(a) || [...(a.labels || [])].some((l) => l.contains(b))
            || [...(b.labels || [])].some((l) => l.contains(a))) continue;
        if (ra.some((x) => rb.some((y) => overlap(x, y)))) problems.push(`controls on top of each other: ${describe(a)} and ${describe(b)}`);
      }
    }
    return problems;
  }

  // Tables: no table wider than its box, nothing spilling out of a cell, and no word shorter
  // than 12 letters broken across lines (longer ones, such as addresses and codes, may break).
  function tables() {
    const problems = [];
    const range = document.createRange();
    const lines = (rects) => rects.some((a) => rects.some((b) => Math.abs(a.top - b.top) > Math.min(a.height, b.height) / 2));
    for (const table of document.querySelectorAll("table")) {
      if (!rendered(table)) continue;
      const box = table.getBoundingClientRect();
      const room = table.parentElement.getBoundingClientRect();
      if ((box.left < room.left - 1 || box.right > room.right + 1) && !scroller(table.parentElement)) problems.push(`table wider than its box: ${describe(table)}`);
      for (const cell of table.querySelectorAll("th, td")) {
        if (!rendered(cell)) continue;
        if (cell.scrollWidth > cell.clientWidth + 1) problems.push(`spills out of its table cell: ${describe(cell)}`);
        const inside = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = inside.nextNode(); node; node = inside.nextNode()) {
          for (const word of node.data.matchAll(/[^\s\-\u2010]+/gu)) {  // a hyphen may break a line
            if ([...word[0]].length >= 12) continue;
            range.setStart(node, word.index);
            range.setEnd(node, word.index + word[0].length);
            if (lines([...range.getClientRects()].filter((r) => r.width > 0))) problems.push(`"${word[0]}" broken across lines in ${describe(cell)}`);
          }
        }
      }
    }
    return problems;
  }

  // Reflow: no horizontal scrolling and no text cut off by its box at this width.
  function reflow(width, rootFontSize) {
    if (document.activeElement) document.activeElement.blur();
    window.scrollTo(0, 0);
    if (rootFontSize) document.documentElement.style.fontSize = rootFontSize;
    const problems = [...layout(), ...tables()];
    const wide = document.documentElement.scrollWidth;
    if (wide > width) problems.push(`scrolls sideways: ${wide} px of content in ${width} px`);
    for (const el of document.querySelectorAll("body *")) {
      const s = getComputedStyle(el);
      const clipsX = s.overflowX === "hidden" || s.overflowX === "clip";
      const clipsY = s.overflowY === "hidden" || s.overflowY === "clip";
      if (!clipsX && !clipsY) continue;
      if (el.matches("input, textarea, select, progress, img, svg, canvas, audio, video") || !rendered(el)) continue;
      if (el.clientWidth <= 2 || el.clientHeight <= 2 || !text(el.innerText)) continue;
      if ((clipsX && el.scrollWidth > el.clientWidth + 1) || (clipsY && el.scrollHeight > el.clientHeight + 1)) {
        problems.push(`text cut off: ${describe(el)}`);
      }
    }
    if (rootFontSize) document.documentElement.style.fontSize = "";
    return problems;
  }

  // The fonts a page uses for its script have loaded (Ge'ez, Arabic).
  async function fonts() {
    await document.fonts.ready;
    return [...document.fonts].filter((face) => face.status === "loaded").map((face) => face.family.replace(/"/g, ""));
  }

  async function axeRun(tags) {
    await document.fonts.ready;
    const result = await window.axe.run(document, { runOnly: { type: "tag", values: tags },
                                                    resultTypes: ["violations"] });
    return result.violations.map((v) => `axe ${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(" ")).slice(0, 4).join(", ")}`);
  }

  window.__a11y = { prepare, tabResult, inspect, reflow, tables, fonts, axe: axeRun };
})();
