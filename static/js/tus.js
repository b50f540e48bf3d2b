// tus-js-client, loaded by queue.js only when a recording or picture is to be sent, so that a
// child's page does not carry it.
export { Upload } from "tus-js-client";
