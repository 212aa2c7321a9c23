import { accessSync, constants } from "node:fs";

/**
 * Debian's Chromium for the browser tests (playwright-core drives it; Playwright's own browser
 * downloads are not used). CHROMIUM_PATH overrides the search; `.ci/run` installs the package.
 */
const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

export function findChromium(): string {
  const candidates = process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : CANDIDATES;
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not here; try the next place.
    }
  }
  throw new Error(
    `Chromium is not installed (looked in ${candidates.join(", ")}): apt-get install -y chromium, or set CHROMIUM_PATH`,
  );
}
