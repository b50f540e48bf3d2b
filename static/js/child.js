// Child pages: "hide this screen", read aloud, voice recording, drawing and photo preview.
// Every page works without this file: the links and file inputs do the job on their own.
import { attach, recorderFor, recordingType, stopBeforeSending } from "./lib/recording.js";
import { setUpOffline } from "./modules/offline.js";

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

// --- Hide this screen: swap to a neutral screen at once -------------------------------------
function setUpHide() {
  const cover = $("[data-cover]");
  const screen = $("[data-child-screen]");
  if (!cover || !screen) return;
  const title = $("[data-cover-title]", cover);
  let savedTitle = document.title;
  let opener = null;

  const hide = (link) => {
    opener = link;
    savedTitle = document.title;
    $$("audio").forEach((audio) => audio.pause());
    if ("speechSynthesis" in window) window.speechSynthesis.cancel();
    screen.hidden = true;
    screen.inert = true;
    cover.hidden = false;
    document.title = title ? title.textContent : "";
    if (title) title.focus();
  };
  const show = () => {
    cover.hidden = true;
    screen.hidden = false;
    screen.inert = false;
    document.title = savedTitle;
    if (opener) opener.focus();
  };
  $$("[data-hide]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      hide(link);
    });
  });
  const close = $("[data-cover-close]", cover);
  if (close) close.addEventListener("click", show);
}

// --- Read aloud ------------------------------------------------------------------------------
function voiceFor(lang) {
  if (!("speechSynthesis" in window)) return null;
  const wanted = lang.toLowerCase();
  const voices = window.speechSynthesis.getVoices();
  return voices.find((v) => v.lang.toLowerCase() === wanted)
    || voices.find((v) => v.lang.toLowerCase().split(/[-_]/)[0] === wanted.split("-")[0])
    || null;
}

function setUpSpeak() {
  const buttons = $$("[data-speak]");
  if (!buttons.length) return;
  const lang = document.documentElement.lang || "en";
  let playing = null;

  const stop = () => {
    if (playing && playing.pause) playing.pause();
    if ("speechSynthesis" in window) window.speechSynthesis.cancel();
    buttons.forEach((b) => b.setAttribute("aria-pressed", "false"));
    playing = null;
  };

  const wire = () => {
    buttons.forEach((button) => {
      if (button.dataset.ready) return;
      // Recordings, played one after the other (the prompt, its hint, the answers shown).
      const audio = (button.dataset.audio || "").split(" ").filter(Boolean);
      const voice = audio.length ? null : voiceFor(lang);
      if (!audio.length && !voice) return; // neither a recording nor a voice: no button
      button.dataset.ready = "1";
      button.hidden = false;
      button.addEventListener("click", () => {
        const wasPressed = button.getAttribute("aria-pressed") === "true";
        stop();
        if (wasPressed) return;
        button.setAttribute("aria-pressed", "true");
        const done = () => button.setAttribute("aria-pressed", "false");
        if (audio.length) {
          const play = (index) => {
            if (index >= audio.length) { done(); return; }
            const current = new Audio(audio[index]);
            current.dataset.readAloud = "";
            playing = current;
            current.addEventListener("ended", () => { if (playing === current) play(index + 1); });
            current.play().catch(done);
          };
          play(0);
          return;
        }
        const target = document.getElementById(button.dataset.speak);
        const words = target ? target.textContent.replace(/\s+/g, " ").trim() : "";
        const utterance = new SpeechSynthesisUtterance(words);
        utterance.lang = voice.lang;
        utterance.voice = voice;
        utterance.addEventListener("end", done);
        utterance.addEventListener("error", done);
        window.speechSynthesis.speak(utterance);
      });
    });
  };
  wire();
  if ("speechSynthesis" in window) {
    window.speechSynthesis.addEventListener("voiceschanged", wire);
  }
}

// --- Voice: MediaRecorder, time recorded, play back, record again, 10 minutes at most -------
// One button does it all: "Start recording", "Stop recording", then "Record again".

function clock(seconds) {
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

function setUpRecorder(root) {
  const form = root.closest("form");
  const input = $("input[type=file]", root);
  const fallback = $("[data-fallback]", root);
  const button = $("[data-record]", root);
  const picture = $("[data-record-picture]", root);
  const label = $("[data-record-label]", root);
  const timerLine = $("[data-timer-line]", root);
  const timer = $("[data-timer]", root);
  const status = $("[data-status]", root);
  const playback = $("[data-playback]", root);
  const max = Number(root.dataset.maxSeconds || 600);
  const data = root.dataset;

  const type = recordingType();
  if (!type) return;

  fallback.hidden = true;
  button.hidden = false;
  timerLine.hidden = false;
  let recorder = null;
  let ticking = null;

  const setState = (state) => {
    root.dataset.state = state;
    const recording = state === "recording";
    button.setAttribute("aria-pressed", recording ? "true" : "false");
    label.textContent = recording ? data.labelStop
      : state === "recorded" ? data.labelAgain : data.labelStart;
    picture.setAttribute("href", recording ? data.pictureStop : data.pictureStart);
  };

  const stopped = (blob, name) => {
    clearInterval(ticking);
    attach(input, blob, name);
    playback.src = URL.createObjectURL(blob);
    playback.hidden = false;
    setState("recorded");
    status.textContent = data.labelDone;
  };

  const start = async () => {
    try {
      recorder = await recorderFor(type, stopped);
    } catch (error) {
      status.textContent = data.labelError;
      fallback.hidden = false;
      button.hidden = true;
      timerLine.hidden = true;
      return;
    }
    const began = Date.now();
    timer.textContent = clock(0);
    ticking = setInterval(() => {
      const seconds = (Date.now() - began) / 1000;
      timer.textContent = clock(seconds);
      if (seconds >= max && recorder.state === "recording") recorder.stop();
    }, 250);
    recorder.start(1000);
    playback.hidden = true;
    setState("recording");
    status.textContent = data.labelRecording;
  };

  button.addEventListener("click", () => {
    if (recorder && recorder.state === "recording") recorder.stop();
    else start();
  });
  stopBeforeSending(form, () => recorder);
}

// --- Drawing: finger, mouse, stylus or arrow keys; colours, rubber, undo, start again -------
function setUpDrawing(root) {
  const form = root.closest("form");
  const canvas = $("[data-canvas]", root);
  const tools = $("[data-tools]", root);
  const fallback = $("[data-fallback]", root);
  const input = $("input[type=file]", root);
  if (!canvas.getContext || typeof DataTransfer === "undefined") return;
  const context = canvas.getContext("2d");
  canvas.hidden = false;
  $("[data-draw-how]", root).hidden = false;
  tools.hidden = false;
  fallback.hidden = true;

  const swatches = $$("[data-colour]", root);
  const eraser = $("[data-eraser]", root);
  const undo = $("[data-undo]", root);
  const clear = $("[data-clear]", root);
  let colour = swatches.length ? swatches[0].dataset.colour : "#1b2631";
  let erasing = false;
  const strokes = [];
  let current = null;
  let keyStroke = null;
  const pen = { x: canvas.width / 2, y: canvas.height / 2 };

  const paint = (stroke) => {
    context.strokeStyle = stroke.erase ? "#ffffff" : stroke.colour;
    context.lineWidth = stroke.width;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.beginPath();
    const [first, ...rest] = stroke.points;
    context.moveTo(first.x, first.y);
    if (!rest.length) context.lineTo(first.x + 0.1, first.y);
    rest.forEach((p) => context.lineTo(p.x, p.y));
    context.stroke();
  };
  const redraw = () => {
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    strokes.forEach(paint);
    undo.disabled = clear.disabled = strokes.length === 0;
  };
  const newStroke = (point) => {
    const stroke = { colour, erase: erasing, width: erasing ? 32 : 10, points: [point] };
    strokes.push(stroke);
    return stroke;
  };
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) * canvas.width) / box.width,
      y: ((event.clientY - box.top) * canvas.height) / box.height,
    };
  };

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    current = newStroke(at(event));
    keyStroke = null;
    redraw();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!current) return;
    current.points.push(at(event));
    redraw();
  });
  const end = () => { current = null; };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  const moves = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
  canvas.addEventListener("keydown", (event) => {
    if (event.key in moves) {
      event.preventDefault();
      const [dx, dy] = moves[event.key];
      if (!keyStroke) keyStroke = newStroke({ ...pen });
      pen.x = Math.min(canvas.width, Math.max(0, pen.x + dx * 20));
      pen.y = Math.min(canvas.height, Math.max(0, pen.y + dy * 20));
      keyStroke.points.push({ ...pen });
      redraw();
    } else if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      keyStroke = null; // lift the pen: the next arrow starts a new line
    }
  });

  swatches.forEach((swatch) => swatch.addEventListener("click", () => {
    colour = swatch.dataset.colour;
    erasing = false;
    eraser.setAttribute("aria-pressed", "false");
    swatches.forEach((s) => s.setAttribute("aria-pressed", s === swatch ? "true" : "false"));
    keyStroke = null;
  }));
  eraser.addEventListener("click", () => {
    erasing = eraser.getAttribute("aria-pressed") !== "true";
    eraser.setAttribute("aria-pressed", erasing ? "true" : "false");
    keyStroke = null;
  });
  undo.addEventListener("click", () => { strokes.pop(); keyStroke = null; redraw(); });
  clear.addEventListener("click", () => { strokes.length = 0; keyStroke = null; redraw(); });
  redraw();

  let attached = false;
  form.addEventListener("submit", (event) => {
    if (!strokes.length || attached) return;
    event.preventDefault();
    const submitter = event.submitter || null;
    canvas.toBlob((blob) => {
      attach(input, blob, "drawing.png");
      attached = true;
      form.requestSubmit(submitter);
    }, "image/png");
  });
}

// --- Written answers: how many letters and spaces, once near the most (the server counts the same)
function setUpCount(textarea) {
  const counter = document.getElementById(textarea.dataset.count);
  const max = Number(counter.dataset.max);
  const update = () => {
    const count = [...textarea.value.replace(/\r\n/g, "\n").trim()].length;
    const over = count > max;
    counter.hidden = count < max * 0.8;
    counter.classList.toggle("child-count--over", over);
    const label = over ? counter.dataset.labelOver : counter.dataset.label;
    counter.textContent = counter.hidden ? "" : label.replace("{count}", String(count));
  };
  textarea.addEventListener("input", update);
  update();
}

// --- Photo: show the chosen picture before sending it ---------------------------------------
function setUpPhoto(input) {
  const preview = $("[data-photo-preview]");
  if (!preview) return;
  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    if (file && file.type.startsWith("image/")) {
      preview.src = URL.createObjectURL(file);
      preview.hidden = false;
    } else {
      preview.hidden = true;
    }
  });
}

setUpHide();
setUpSpeak();
$$("[data-recorder]").forEach(setUpRecorder);
$$("[data-draw]").forEach(setUpDrawing);
$$("[data-photo-input]").forEach(setUpPhoto);
$$("textarea[data-count]").forEach(setUpCount);
setUpOffline();
