// Recording from the microphone (MediaRecorder), shared by the child's voice answers and the
// interpreters' read-aloud prompts. Bundled into the page scripts that import it.

const RECORDING_TYPES = ["audio/webm;codecs=opus", "audio/mp4", "audio/webm", "audio/ogg;codecs=opus"];

// The type this browser records in, or null when it cannot record (then the file input stays).
export function recordingType() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia
      || typeof MediaRecorder === "undefined" || typeof DataTransfer === "undefined") return null;
  return RECORDING_TYPES.find((t) => MediaRecorder.isTypeSupported(t)) || null;
}

// A MediaRecorder on the microphone (not started: the caller starts it); once stopped, the
// microphone is let go and onStop(blob, file name) gets the recording. Throws when the
// microphone is refused.
export async function recorderFor(type, onStop) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const chunks = [];
  const recorder = new MediaRecorder(stream, { mimeType: type });
  recorder.addEventListener("dataavailable", (event) => {
    if (event.data && event.data.size) chunks.push(event.data);
  });
  recorder.addEventListener("stop", () => {
    stream.getTracks().forEach((track) => track.stop());
    const blob = new Blob(chunks, { type: (recorder.mimeType || type).split(";")[0] });
    const extension = blob.type.includes("mp4") ? "m4a" : blob.type.includes("ogg") ? "ogg" : "webm";
    onStop(blob, `recording.${extension}`);
  });
  return recorder;
}

// Put a Blob into a form's file input, so the ordinary form post sends it.
export function attach(input, blob, name) {
  const transfer = new DataTransfer();
  transfer.items.add(new File([blob], name, { type: blob.type }));
  input.files = transfer.files;
}

// A form sent while recording: the recording is stopped (and attached by the recorder's own
// onStop, which runs first), then the form is sent again by the same button. `current()` gives
// the recorder in use, if any.
export function stopBeforeSending(form, current) {
  form.addEventListener("submit", (event) => {
    const recorder = current();
    if (recorder && recorder.state === "recording") {
      event.preventDefault();
      const submitter = event.submitter || null;
      recorder.addEventListener("stop", () => form.requestSubmit(submitter), { once: true });
      recorder.stop();
    }
  });
}
