// Staff pages: turn on GOV.UK Frontend's enhancements (menu toggle, error summary focus).
import { initAll } from "../build/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
