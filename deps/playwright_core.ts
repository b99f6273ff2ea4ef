/**
 * Playwright's browser driver, for the tests that render the HTML listing in
 * headless Chromium (a dependency of the tests only), pinned here.
 *
 * @module
 */

export { chromium } from "npm:playwright-core@1.65.1";
