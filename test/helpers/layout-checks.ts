import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';

// The checks run in the page as plain JavaScript source: a function handed to page.evaluate
// would carry the helpers tsx adds to named functions (__name), which the page does not have.
// Their pages' CSP forbids eval: the tests' browser context bypasses it (bypassCSP).

/**
 * Elements whose content is wider than their box: cut off (overflow hidden or clip), spilling
 * out (visible), or hidden behind a scroll bar. Inline elements and form fields are skipped
 * (no box of their own to overflow; a field scrolls its own value), and so are the chart's
 * drawing, a run's output and the elements inside `scrollers`: they may scroll by design.
 */
const OVERFLOWS = `(allowed) => {
  const found = [];
  const skip = '.chart-box, pre, svg, script, style, noscript, input, select, textarea' + allowed.map((s) => ', ' + s).join('');
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest(skip)) continue;
    const style = getComputedStyle(el);
    if (style.display === 'inline' || style.display === 'none' || el.clientWidth === 0) continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      const name = el.tagName.toLowerCase() + (el.classList.length ? '.' + [...el.classList].join('.') : '');
      found.push(name + ' holds ' + el.scrollWidth + ' px in ' + el.clientWidth + ' px ("' + (el.textContent || '').trim().slice(0, 80) + '")');
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) found.push('the page is ' + document.documentElement.scrollWidth + ' px wide in a ' + window.innerWidth + ' px window');
  return found;
}`;

export function findOverflows(page: Page, scrollers: readonly string[]): Promise<string[]> {
  return page.evaluate(`(${OVERFLOWS})(${JSON.stringify(scrollers)})`) as Promise<string[]>;
}

/**
 * Numbers shown with more than four decimals (the pages' format: scores to four, other numbers
 * to at most four, tiny ones in exponent form). A run's output, its error messages and the API
 * reference are text the page passes on as written, not numbers it formats.
 */
const LONG_NUMBERS = `() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent || '';
    if (n.parentElement && n.parentElement.closest('pre, script, style, #docs, .attempts li, .failure p, .retry p')) continue;
    if (/\\d*\\.\\d{5,}/.test(text)) found.push((n.parentElement ? n.parentElement.tagName.toLowerCase() : '') + ': ' + text.trim().slice(0, 80));
  }
  return found;
}`;

export function findLongNumbers(page: Page): Promise<string[]> {
  return page.evaluate(`(${LONG_NUMBERS})()`) as Promise<string[]>;
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
/** WCAG 2.1 A and AA, the level the issue asks for. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const AXE_RUN = `(tags) => axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }).then((r) =>
  r.violations.flatMap((v) => v.nodes.map((n) => v.id + ' (' + v.help + ') at ' + n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 200))))`;

/** axe-core's WCAG 2.1 AA violations on the page as it is: rule, what it says, where. */
export async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate("'axe' in window"))) await page.addScriptTag({ content: AXE_SOURCE });
  return (await page.evaluate(`(${AXE_RUN})(${JSON.stringify(AXE_TAGS)})`)) as string[];
}
