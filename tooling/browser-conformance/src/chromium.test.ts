import { describe, expect, it } from 'vitest';
import { CHROMIUM_FLAGS, openBrowserSession } from './index.js';

describe('browser session', () => {
  it('fails with the install command when Chromium is missing (never skips)', async () => {
    await expect(openBrowserSession('/nonexistent/chromium')).rejects.toThrow(
      /^Chromium is not installed at \/nonexistent\/chromium: apt-get install -y chromium /,
    );
  });

  it('launches headless without network side traffic, with WebGPU enabled', () => {
    expect(CHROMIUM_FLAGS).toEqual(
      expect.arrayContaining(['--headless', '--no-sandbox', '--disable-quic', '--enable-unsafe-webgpu']),
    );
  });
});
