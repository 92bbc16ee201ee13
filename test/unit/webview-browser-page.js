// In the Chromium page of webview-browser.test.ts: what the test reads from and does to the panel.
/* global window, document, requestAnimationFrame */
// Plain browser JavaScript: the repository's TypeScript settings have no DOM types outside webview-ui.
'use strict';

const toolIndex = (li) => (li ? Number(li.dataset.tool.slice('tool_'.length)) : -1);

/** Two animation frames: the lists work out their windows in the first. */
window.__frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
/** The indexes of the tool rows in the DOM. */
window.__rendered = () => [...document.querySelectorAll('ul.tools > li[data-tool]')].map(toolIndex);
/** The index of the tool whose row is at the middle of the view (-1: none there). */
window.__atMiddle = () => toolIndex(document.elementFromPoint(200, window.innerHeight / 2)?.closest('li[data-tool]'));
/** The tool whose row holds the focus, or the focused element's tag. */
window.__focusedTool = () => document.activeElement?.closest('li[data-tool]')?.dataset.tool ?? String(document.activeElement?.tagName);
/** Focuses a tool's Run… button (inside the control's shadow root), as a click or Tab would. */
window.__focusRun = (tool) => {
  const run = document.querySelector(`li[data-tool="${tool}"] [data-run]`);
  (run.shadowRoot?.querySelector('button') ?? run).focus();
};
window.__scrollTo = (y) => window.scrollTo(0, y === 'end' ? document.scrollingElement.scrollHeight : y);
window.__scrollHeight = () => document.scrollingElement.scrollHeight;
window.__place = (tool) => {
  const li = document.querySelector(`li[data-tool="${tool}"]`);
  return [li.getAttribute('aria-posinset'), li.getAttribute('aria-setsize')];
};
/** Whether a tool's row is in the DOM and entirely in view. */
window.__inView = (tool) => {
  const r = document.querySelector(`li[data-tool="${tool}"]`)?.getBoundingClientRect();
  return !!r && r.top >= 0 && r.bottom <= window.innerHeight + 1;
};
/** An element's text, whether its content is cut off, and its right edge. */
window.__box = (selector) => {
  const el = document.querySelector(selector);
  const r = el.getBoundingClientRect();
  return { text: el.textContent.trim(), clipped: el.scrollWidth > el.clientWidth, right: r.right, width: r.width };
};
window.__deliver = (data) => window.dispatchEvent(new MessageEvent('message', { data }));
window.__load = (src) =>
  new Promise((resolve) => {
    const script = document.createElement('script');
    script.src = src;
    script.addEventListener('load', resolve);
    document.body.append(script);
  });
