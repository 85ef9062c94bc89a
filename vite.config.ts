import { defineConfig, type Plugin } from 'vite';
import uni from '@dcloudio/vite-plugin-uni';

// The app is compiled only from what pages.json and main.ts import; uniCloud/, local/, sandbox/, test/ and bench/
// are never reached from there, so they stay out of both builds.

/** uniCloud's client SDK as uni-app resolves it for the app (ES build; the CommonJS one for completeness). */
const UNI_CLOUD_SDK = /[\\/]@dcloudio[\\/]uni-cloud[\\/]dist[\\/]uni-cloud\.(es|cjs)\.js$/;

/**
 * An app built with `UNICLOUD_DEBUG` (scripts/build-h5.mjs sets it) calls its cloud functions on the local host
 * through uniCloud's own client, as an app run from HBuilderX with local cloud functions does. The SDK takes that
 * path only when `process.env.NODE_ENV` is "development"; a whole development build cannot be made with
 * `uni build` (its file watchers keep the process alive), so only the SDK module sees "development" and the rest
 * of the app stays a production build. The address and port are fixed now, at build time, and written to
 * `unicloud-debug.json` beside index.html so `npm start` and the browser tests can tell which port a build needs.
 */
function uniCloudLocalDebug(): Plugin {
  const raw = process.env.UNICLOUD_DEBUG;
  return {
    name: 'vk-pay:unicloud-local-debug',
    enforce: 'pre',
    transform(code, id) {
      if (!raw || !UNI_CLOUD_SDK.test(id)) return undefined;
      return { code: code.split('process.env.NODE_ENV').join('"development"'), map: null };
    },
    generateBundle() {
      if (!raw || this.meta.watchMode) return;
      const debug = JSON.parse(raw) as { address: string[]; servePort: number; initialLaunchType?: string };
      const spaces = JSON.parse(process.env.UNI_CLOUD_PROVIDER || '[]') as Array<{ provider?: string; spaceId?: string }>;
      const stamp = { address: debug.address, servePort: debug.servePort, space: spaces[0] ? { provider: spaces[0].provider, spaceId: spaces[0].spaceId } : null };
      this.emitFile({ type: 'asset', fileName: 'unicloud-debug.json', source: JSON.stringify(stamp, null, 2) + '\n' });
    },
  };
}

/** DCloud's navigation-bar shadow images (a CDN URL in uni-app's H5 CSS, preloaded 3 s after start). */
const DCLOUD_SHADOW_IMAGE = /url\(\s*['"]?https?:\/\/cdn[0-9]*\.(?:dcloud\.net\.cn|dcimg\.net)\/(?:[\w-]+\/)*img\/shadow-[a-z]+\.png['"]?\s*\)/g;
/** What the page shell itself would load from elsewhere: url() in CSS, src/href of tags in index.html. */
const EXTERNAL_IN_CSS = /url\(\s*['"]?(?:https?:)?\/\/[^)'"]+/g;
const EXTERNAL_IN_HTML = /<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\/[^"'\s>]+/gi;

/**
 * The built H5 app loads nothing from outside the host that serves it: no page may stall on a slow foreign host,
 * and the local host works offline. uni-app's shadow images are decorative and unused here (no page sets
 * navigationBarShadow), so their CDN URLs become `none`; any other external URL in CSS or index.html fails the
 * build with its name, instead of being found later as a request from the browser.
 */
function nothingExternal(): Plugin {
  return {
    name: 'vk-pay:nothing-external',
    enforce: 'post',
    apply: 'build',
    generateBundle(_options, bundle) {
      const found: string[] = [];
      for (const file of Object.values(bundle)) {
        if (file.type !== 'asset' || typeof file.source !== 'string' && !(file.source instanceof Uint8Array)) continue;
        const isCss = file.fileName.endsWith('.css');
        const isHtml = file.fileName.endsWith('.html');
        if (!isCss && !isHtml) continue;
        let text = typeof file.source === 'string' ? file.source : Buffer.from(file.source).toString('utf8');
        if (isCss) {
          text = text.replace(DCLOUD_SHADOW_IMAGE, 'none');
          file.source = text;
        }
        for (const m of text.matchAll(isCss ? EXTERNAL_IN_CSS : EXTERNAL_IN_HTML)) found.push(`${file.fileName}: ${m[0]}`);
      }
      if (found.length) this.error(`the H5 app would load from outside the host:\n  ${found.join('\n  ')}`);
    },
  };
}

export default defineConfig({
  plugins: [uniCloudLocalDebug(), uni(), nothingExternal()],
});
