// Read-aloud: an interpreter records a prompt in the browser (MediaRecorder, listen, record
// again, then the ordinary form post sends it); before handing over, the ICTG is told when
// neither a recording nor this device's voice can read the child's language aloud.
// Without this file the forms still work with a chosen sound file.

import { attach, recorderFor, recordingType, stopBeforeSending } from "./lib/recording.js";

function setUpPromptRecorder(form) {
  const button = form.querySelector("[data-recorder-button]");
  const input = form.querySelector("[data-recorder-file]");
  const status = form.querySelector("[data-recorder-status]");
  const playback = form.querySelector("[data-recorder-playback]");
  const max = Number(form.dataset.maxSeconds || 60);
  const labels = form.dataset;
  const type = recordingType();
  if (!type) return;
  button.hidden = false;
  let recorder = null;
  let timer = null;

  const stopped = (blob, name) => {
    clearTimeout(timer);
    attach(input, blob, name);
    playback.src = URL.createObjectURL(blob);
    playback.hidden = false;
    button.textContent = labels.labelAgain;
    status.textContent = "";
  };

  const start = async () => {
    try {
      recorder = await recorderFor(type, stopped);
    } catch (error) {
      status.textContent = labels.labelError;
      button.hidden = true;
      return;
    }
    recorder.start(250);
    timer = setTimeout(() => { if (recorder.state === "recording") recorder.stop(); }, max * 1000);
    button.textContent = labels.labelStop;
    playback.hidden = true;
  };

  button.addEventListener("click", () => {
    if (recorder && recorder.state === "recording") recorder.stop();
    else start();
  });
  stopBeforeSending(form, () => recorder);
}

// --- Hand-over: is there any way to read this language aloud? --------------------------------
function hasVoice(lang) {
  if (!("speechSynthesis" in window)) return false;
  const wanted = lang.toLowerCase().split(/[-_]/)[0];
  return window.speechSynthesis.getVoices()
    .some((voice) => voice.lang.toLowerCase().split(/[-_]/)[0] === wanted);
}

function setUpHandOverWarning(warning) {
  // data-recorded: {"questionnaire id": ["language", ...]} with checked recordings.
  const recorded = JSON.parse(warning.dataset.recorded || "{}");
  const form = warning.closest("form") || document;
  // The session's own questionnaire and language, or the ones chosen in the form.
  const pick = (name) => warning.dataset[name]
    || (form.querySelector(`[name=${name}]:checked, select[name=${name}]`) || {}).value;
  const update = () => {
    const questionnaire = pick("questionnaire");
    const language = pick("language");
    if (!questionnaire || !language) { warning.hidden = true; return; }
    warning.hidden = (recorded[questionnaire] || []).includes(language) || hasVoice(language);
  };
  form.addEventListener("change", update);
  if ("speechSynthesis" in window) window.speechSynthesis.addEventListener("voiceschanged", update);
  update();
}

document.querySelectorAll("[data-prompt-recorder]").forEach(setUpPromptRecorder);
document.querySelectorAll("[data-readaloud-warning]").forEach(setUpHandOverWarning);
