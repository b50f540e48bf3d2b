// Staff pages: GOV.UK Frontend's enhancements for the components the pages use (menu toggle,
// error summary focus, show/hide password, conditional questions...). The asset build bundles
// this file with only these components' code (esbuild, tree shaken): add a component here and
// in static/src/staff.scss when a page starts to use it.
import {
  Button, Checkboxes, ErrorSummary, NotificationBanner, PasswordInput, Radios, ServiceNavigation,
  SkipLink, createAll,
} from "govuk-frontend";

import { setUpOffline } from "./modules/offline.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
for (const Component of [Button, Checkboxes, ErrorSummary, NotificationBanner, PasswordInput,
  Radios, ServiceNavigation, SkipLink]) {
  createAll(Component);
}
setUpOffline();
