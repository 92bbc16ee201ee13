// In the benchmark's Chromium page (bench/panel.ts): delivers a message to the panel and measures it.
/* global window, document, requestAnimationFrame, MutationObserver, Element */
// Plain browser JavaScript: the repository's TypeScript settings have no DOM types outside webview-ui.
'use strict';

/** The tool rows on the page, once the panel has rendered. */
window.__toolRows = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(document.querySelectorAll('[data-tool]').length))));

/**
 * Posts `data` to the panel: the time until its render is done and laid out (Lit's updates settled,
 * style and layout forced), the time until the next frame, and how many rows changed.
 */
window.__deliver = (data) =>
  new Promise((resolve) => {
    const rows = new Set();
    const observer = new MutationObserver((records) => {
      for (const r of records) {
        const node = r.target instanceof Element ? r.target : r.target.parentElement;
        const row = node && node.closest('mcp-server-row');
        if (row) rows.add(row);
      }
    });
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    const t0 = performance.now();
    window.dispatchEvent(new MessageEvent('message', { data }));
    const settled = () => Promise.all([...document.querySelectorAll('mcp-hub-panel, mcp-server-row')].map((e) => e.updateComplete));
    settled()
      .then(settled)
      .then(() => {
        document.body.getBoundingClientRect();
        const ms = performance.now() - t0;
        requestAnimationFrame(() => {
          observer.disconnect();
          resolve({ ms, frameMs: performance.now() - t0, rows: rows.size });
        });
      });
  });

/**
 * The panel's first render: posts `data` and takes the time until the tool rows in view are rendered
 * and laid out. The panel renders them before the first frame (RowWindow, HubPanel.rendered); were
 * they to come later, the time runs on frame by frame until they are there (at most 10 frames).
 */
window.__firstRender = (data) =>
  new Promise((resolve) => {
    const t0 = performance.now();
    window.dispatchEvent(new MessageEvent('message', { data }));
    const panel = document.querySelector('mcp-hub-panel');
    const lists = () => Promise.all([...document.querySelectorAll('mcp-tool-list')].map((e) => e.updateComplete));
    let frames = 0;
    const check = () =>
      lists().then(() => {
        document.body.getBoundingClientRect();
        const rows = document.querySelectorAll('[data-tool]').length;
        if (rows > 0 || frames >= 10) {
          const ms = performance.now() - t0;
          requestAnimationFrame(() => resolve({ ms, rows, frames, frameMs: performance.now() - t0 }));
        } else {
          frames++;
          requestAnimationFrame(() => void check());
        }
      });
    panel.rendered.then(check);
  });
