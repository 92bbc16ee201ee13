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
 * The panel's first render: posts `data`, waits until the panel, its rows and their lists have
 * rendered (the panel works out which rows of each list are in view and renders them before the
 * frame: RowWindow), forces style and layout, and says how many tool rows are then in the page and
 * how long until the next frame.
 */
window.__firstRender = (data) =>
  new Promise((resolve) => {
    const t0 = performance.now();
    window.dispatchEvent(new MessageEvent('message', { data }));
    // `rendered`: the server rows in view, then the rows in view of their lists.
    document.querySelector('mcp-hub-panel').rendered.then(() => {
      document.body.getBoundingClientRect();
      const ms = performance.now() - t0;
      const rows = document.querySelectorAll('[data-tool]').length;
      requestAnimationFrame(() => resolve({ ms, rows, frameMs: performance.now() - t0 }));
    });
  });
