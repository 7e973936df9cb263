/**
 * How every Playwright suite here launches a browser: the system's Chromium (Debian's `chromium`, or `CHROMIUM_PATH`),
 * never one Playwright downloads, with the flags that keep it quiet on a machine without network access.
 */
export const chromiumLaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};
