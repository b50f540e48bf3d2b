// Workbox's injectManifest (workbox-build): writes into the bundled service worker the list of
// files it precaches, the build's hashed static files only (a name that changes with the content
// needs no revision). Run by scripts/build_assets.py:
//   node scripts/inject_precache.mjs SERVICE_WORKER BUILD_FOLDER
// Prints {"count": N, "size": BYTES} on success.
import { injectManifest } from "workbox-build";

const [worker, folder] = process.argv.slice(2);
const HASHED = /\.[0-9a-f]{12}\.[A-Za-z0-9]+$/;

const onlyHashed = async (entries) => ({
  manifest: entries.filter((entry) => HASHED.test(entry.url)),
  warnings: [],
});

const { count, size, warnings } = await injectManifest({
  swSrc: worker,
  swDest: worker,
  globDirectory: folder,
  globPatterns: ["**/*"],
  globIgnores: ["licences/**", "sw/**", "manifest.json", "**/*.br", "**/*.gz"],
  modifyURLPrefix: { "": "/static/build/" },
  dontCacheBustURLsMatching: HASHED,
  manifestTransforms: [onlyHashed],
  maximumFileSizeToCacheInBytes: 1024 * 1024,
});
if (warnings.length) {
  console.error(warnings.join("\n"));
  process.exit(1);
}
console.log(JSON.stringify({ count, size }));
