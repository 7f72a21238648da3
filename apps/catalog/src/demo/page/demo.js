// The catalog's demo page: plain browser JavaScript, no build step, no dependencies.
// Every number shown comes from the API's responses (X-Cache, Server-Timing, JSON bodies).
(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const STATS_POLL_MS = 1000;
  const CHART_WINDOW_MS = 5 * 60 * 1000;
  /** The chart spans the samples so far, at least this, at most CHART_WINDOW_MS. */
  const CHART_MIN_SPAN_MS = 20 * 1000;
  const TTL_RESYNC_MS = 5000;

  /** The product currently shown (after a lookup), or null. */
  let current = null;

  // ---------- small helpers ----------

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === 'class') node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs = {}, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function ms(value) {
    if (value === null || value === undefined || Number.isNaN(value)) return '—';
    return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
  }

  function plural(count, one, many) {
    return `${count} ${count === 1 ? one : many}`;
  }

  function money(cents) {
    return `${cents} (${(cents / 100).toFixed(2)})`;
  }

  function replaceContent(node, ...children) {
    node.replaceChildren(...children.map((c) => (c instanceof Node ? c : el('p', {}, c))));
  }

  function errorLine(text) {
    return el('p', { class: 'error' }, text);
  }

  /** Runs `task` once at a time for a button, marking it busy without disabling it (focus stays). */
  function busy(button, task) {
    return async (event) => {
      if (event) event.preventDefault();
      if (button.getAttribute('aria-busy') === 'true') return;
      button.setAttribute('aria-busy', 'true');
      try {
        await task();
      } finally {
        button.removeAttribute('aria-busy');
      }
    };
  }

  /** `cache;desc="Redis";dur=0.42, db;desc="Loader";dur=1.73` -> { cache: 0.42, db: 1.73 } */
  function parseServerTiming(header) {
    const timings = {};
    if (!header) return timings;
    for (const entry of header.split(',')) {
      const [name, ...params] = entry.trim().split(';');
      const dur = params.map((p) => p.trim()).find((p) => p.startsWith('dur='));
      if (name && dur) timings[name.trim()] = Number(dur.slice(4));
    }
    return timings;
  }

  async function apiError(response) {
    try {
      const body = await response.json();
      const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
      return `${response.status} ${body.error || response.statusText}: ${message}`;
    } catch {
      return `${response.status} ${response.statusText}`;
    }
  }

  function readId() {
    const raw = $('lookup-id').value.trim();
    return /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : null;
  }

  // ---------- 1. look up ----------

  /** GET /products/:id and what its headers say. */
  async function readProduct(id) {
    const response = await fetch(`/products/${id}`, { cache: 'no-store' });
    const timing = parseServerTiming(response.headers.get('Server-Timing'));
    return {
      response,
      status: response.headers.get('X-Cache'),
      redisMs: timing.cache,
      dbMs: timing.db,
      product: response.ok ? await response.json() : null,
    };
  }

  function showRead(id, read, changedFields = []) {
    if (read.product) {
      replaceContent(
        $('lookup-result'),
        el(
          'p',
          {},
          `Product ${id}: `,
          el('strong', { id: 'lookup-status' }, read.status || 'no X-Cache'),
          ` — ${ms(read.redisMs)} in Redis, ${ms(read.dbMs)} in the database.`,
        ),
      );
    }
    $('lookup-facts').hidden = false;
    const badge = $('fact-status');
    badge.textContent = read.status || 'none';
    badge.className = `badge ${read.status || ''}`;
    $('fact-redis').textContent = ms(read.redisMs);
    $('fact-db').textContent = ms(read.dbMs);
    if (read.product) showProduct(read.product, changedFields);
  }

  const PRODUCT_ROWS = [
    ['id', 'Id'],
    ['name', 'Name'],
    ['sku', 'SKU'],
    ['category', 'Category'],
    ['priceCents', 'Price (cents)'],
    ['stock', 'Stock'],
    ['rating', 'Rating'],
    ['description', 'Description'],
    ['updatedAt', 'Updated'],
    ['version', 'Version'],
  ];

  function showProduct(product, changedFields) {
    const rows = PRODUCT_ROWS.map(([field, label]) => {
      let value = product[field];
      if (field === 'priceCents') value = money(value);
      if (field === 'rating') {
        value =
          value && value.count > 0
            ? `${Number(value.average).toFixed(2)} / 5 from ${plural(value.count, 'review', 'reviews')}`
            : 'no reviews';
      }
      const cell = el('td', { 'data-field': field }, value === undefined ? '' : value);
      if (changedFields.includes(field)) cell.classList.add('changed');
      return el('tr', {}, el('th', { scope: 'row' }, label), cell);
    });
    $('product-body').replaceChildren(...rows);
    $('product-table').hidden = false;
  }

  function fillEditForms(product) {
    $('edit-price').value = product.priceCents;
    $('edit-stock').value = product.stock;
    $('edit-name').value = product.name;
    $('edit-sku').value = product.sku;
    $('edit-category').value = product.category;
    $('edit-put-price').value = product.priceCents;
    $('edit-put-stock').value = product.stock;
    $('edit-description').value = product.description || '';
    $('patch-button').disabled = false;
    $('put-button').disabled = false;
  }

  async function lookUp() {
    const result = $('lookup-result');
    const id = readId();
    if (id === null) {
      replaceContent(result, errorLine('Enter a product id: a whole number from 1.'));
      $('lookup-id').focus();
      return;
    }
    try {
      const read = await readProduct(id);
      showRead(id, read);
      if (!read.product) {
        current = null;
        $('product-table').hidden = true;
        replaceContent(
          result,
          errorLine(`No product ${id} (${await apiError(read.response)}).`),
          `X-Cache: ${read.status || 'none'}. "Not found" is cached too, for a shorter TTL.`,
        );
      } else {
        current = read.product;
        fillEditForms(read.product);
        replaceContent($('edit-result'), el('p', { class: 'hint' }, `Editing product ${id}.`));
      }
      startTtl(id);
    } catch (error) {
      replaceContent(result, errorLine(`The request failed: ${error.message}`));
    }
  }

  // ---------- live TTL ----------

  let ttlState = null; // { id, key, seconds, state, at }
  let ttlResync = null;

  async function syncTtl(id) {
    try {
      const response = await fetch(`/demo/products/${id}/ttl`, { cache: 'no-store' });
      if (!response.ok) return;
      const body = await response.json();
      ttlState = {
        id,
        key: body.key,
        seconds: body.ttlSeconds,
        state: body.state,
        at: performance.now(),
      };
      $('ttl-key').textContent = body.key;
      $('ttl-note').hidden = false;
      renderTtl();
    } catch {
      // the next resync tries again
    }
  }

  function startTtl(id) {
    clearInterval(ttlResync);
    ttlState = null;
    void syncTtl(id);
    ttlResync = setInterval(() => void syncTtl(id), TTL_RESYNC_MS);
  }

  function renderTtl() {
    const out = $('fact-ttl');
    if (!ttlState) return;
    if (ttlState.state === 'absent') out.textContent = 'not cached';
    else if (ttlState.state === 'stale') out.textContent = 'stale (grace)';
    else {
      const left = ttlState.seconds - (performance.now() - ttlState.at) / 1000;
      out.textContent = left > 0 ? `${left.toFixed(1)} s` : 'expired';
    }
  }

  setInterval(renderTtl, 100);

  // ---------- 2. edit ----------

  function intValue(id, label) {
    const raw = $(id).value.trim();
    if (!/^\d{1,10}$/.test(raw)) throw new Error(`${label} must be a whole number from 0.`);
    return Number(raw);
  }

  async function write(method, body, pathLabel) {
    const result = $('edit-result');
    if (!current) {
      replaceContent(result, errorLine('Look a product up first.'));
      return;
    }
    const id = current.id;
    const before = current;
    const response = await fetch(`/products/${id}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      replaceContent(
        result,
        errorLine(`${method} /products/${id} failed: ${await apiError(response)}`),
      );
      return;
    }
    const written = await response.json();
    const read = await readProduct(id);
    const after = read.product || written;
    const changed = PRODUCT_ROWS.map(([field]) => field).filter(
      (field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]),
    );
    current = after;
    showRead(id, read, changed);
    fillEditForms(after);
    startTtl(id);
    const sawNew =
      read.product &&
      read.product.priceCents === written.priceCents &&
      read.product.stock === written.stock;
    const how =
      read.status === 'HIT'
        ? 'served from the cache'
        : read.status === 'MISS'
          ? 'loaded from the database'
          : `X-Cache ${read.status || 'none'}`;
    replaceContent(
      result,
      el('p', {}, el('strong', { id: 'edit-path' }, `${method} ran: ${pathLabel}.`)),
      el(
        'p',
        {},
        'Next read: ',
        el('strong', { id: 'edit-next-status' }, read.status || 'none'),
        ` (${how}), price `,
        el('strong', { id: 'edit-next-price' }, String(after.priceCents)),
        `, stock ${after.stock}${sawNew ? ' — the new values' : ' — NOT the values just written'}. `,
        `${ms(read.redisMs)} in Redis, ${ms(read.dbMs)} in the database.`,
      ),
    );
  }

  async function patch() {
    let body;
    try {
      body = {
        priceCents: intValue('edit-price', 'Price'),
        stock: intValue('edit-stock', 'Stock'),
      };
    } catch (error) {
      replaceContent($('edit-result'), errorLine(error.message));
      return;
    }
    try {
      await write('PATCH', body, 'the partial update, which updates the cached entry in place');
    } catch (error) {
      replaceContent($('edit-result'), errorLine(`The request failed: ${error.message}`));
    }
  }

  async function put() {
    let body;
    try {
      body = {
        sku: $('edit-sku').value.trim(),
        name: $('edit-name').value.trim(),
        category: $('edit-category').value.trim(),
        description: $('edit-description').value,
        priceCents: intValue('edit-put-price', 'Price'),
        stock: intValue('edit-put-stock', 'Stock'),
      };
    } catch (error) {
      replaceContent($('edit-result'), errorLine(error.message));
      return;
    }
    try {
      await write('PUT', body, 'the full replace, which evicts the cached entry');
    } catch (error) {
      replaceContent($('edit-result'), errorLine(`The request failed: ${error.message}`));
    }
  }

  // ---------- 3. stampede ----------

  async function runOne(id, n, protection) {
    const response = await fetch('/demo/stampede', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id, n, protection }),
    });
    if (!response.ok) throw new Error(await apiError(response));
    return response.json();
  }

  function histogramSvg(run) {
    const buckets = run.latency.histogram;
    const rowHeight = 18;
    const labelWidth = 78;
    const countWidth = 40;
    const width = 300;
    const height = buckets.length * rowHeight + 4;
    const max = Math.max(1, ...buckets.map((b) => b.count));
    const label = (b) =>
      b.toMs === null
        ? `> ${b.fromMs} ms`
        : b.fromMs === 0
          ? `≤ ${b.toMs} ms`
          : `${b.fromMs}–${b.toMs} ms`;
    const summary = buckets.map((b) => `${label(b)}: ${b.count}`).join(', ');
    const chart = svg('svg', {
      class: 'histogram',
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': `Latency histogram: ${summary}`,
    });
    const color = run.protection ? 'var(--hit)' : 'var(--miss)';
    buckets.forEach((bucket, i) => {
      const y = i * rowHeight + 2;
      const barWidth = ((width - labelWidth - countWidth) * bucket.count) / max;
      chart.append(
        svg('text', { x: labelWidth - 6, y: y + 12, 'text-anchor': 'end' }, label(bucket)),
        svg('rect', {
          x: labelWidth,
          y: y + 2,
          width: Math.max(bucket.count ? 1 : 0, barWidth),
          height: rowHeight - 5,
          fill: color,
          rx: 2,
        }),
        svg('text', { x: labelWidth + barWidth + 4, y: y + 12 }, String(bucket.count)),
      );
    });
    return chart;
  }

  function runCard(run) {
    const title = run.protection
      ? 'With stampede protection'
      : 'Without protection (stampedeProtection: false)';
    const stat = (label, value) => el('div', {}, el('dt', {}, label), el('dd', {}, value));
    const shared = run.reads - run.databaseLoads;
    const waited = run.protection
      ? `The other ${plural(shared, 'read', 'reads')} shared that load (single flight in this process` +
        `; other app instances would wait on the Redis lease: ${plural(run.leaseWaits, 'lease wait', 'lease waits')}).`
      : 'Every read that found no entry ran the loader itself.';
    return el(
      'article',
      {
        class: `run ${run.protection ? 'protected' : 'unprotected'}`,
        'data-protection': String(run.protection),
      },
      el('h3', {}, title),
      el(
        'p',
        { class: 'loads', 'data-testid': 'loads' },
        plural(run.databaseLoads, 'database load', 'database loads'),
      ),
      el(
        'p',
        {},
        `for ${plural(run.reads, 'concurrent read', 'concurrent reads')} in ${ms(run.durationMs)}: `,
        `${run.statuses.MISS} MISS, ${run.statuses.HIT} HIT`,
        run.statuses.BYPASS ? `, ${run.statuses.BYPASS} BYPASS` : '',
        run.statuses.STALE ? `, ${run.statuses.STALE} STALE` : '',
        `. ${waited}`,
        run.evicted ? '' : ' (Redis did not take the eviction.)',
      ),
      run.redisErrors > 0
        ? el(
            'p',
            { class: 'note' },
            `${plural(run.redisErrors, 'Redis call', 'Redis calls')} failed during the burst: `,
            'the loads kept this process too busy to read Redis replies within the command ',
            'timeout, so reads went to the database until Redis answered again.',
          )
        : '',
      el(
        'dl',
        {},
        stat('p50', ms(run.latency.p50Ms)),
        stat('p95', ms(run.latency.p95Ms)),
        stat('p99', ms(run.latency.p99Ms)),
        stat('max', ms(run.latency.maxMs)),
      ),
      histogramSvg(run),
    );
  }

  async function stampede() {
    const result = $('stampede-result');
    const id = readId();
    const nRaw = $('stampede-n').value.trim();
    const n = /^\d{1,4}$/.test(nRaw) ? Number(nRaw) : NaN;
    if (id === null) {
      replaceContent(result, errorLine('Enter a product id in step 1 first.'));
      return;
    }
    if (!(n >= 1 && n <= 1000)) {
      replaceContent(result, errorLine('N must be a whole number from 1 to 1000.'));
      $('stampede-n').focus();
      return;
    }
    const contrast = $('stampede-contrast').checked;
    replaceContent(result, `Running ${n} concurrent reads of product ${id}…`);
    try {
      // Protected first: the unprotected burst can leave Redis briefly unavailable (see runCard).
      const withProtection = await runOne(id, n, true);
      const without = contrast ? await runOne(id, n, false) : null;
      const runs = without ? [withProtection, without] : [withProtection];
      $('stampede-runs').replaceChildren(...runs.map(runCard));
      if (ttlState && ttlState.id === id) startTtl(id);
      replaceContent(
        result,
        el(
          'p',
          {},
          `${plural(n, 'read', 'reads')} of product ${id} right after its entry was evicted: `,
          el(
            'strong',
            { id: 'stampede-protected-loads' },
            plural(withProtection.databaseLoads, 'database load', 'database loads'),
          ),
          ' with stampede protection',
          ...(without
            ? [
                '; ',
                el(
                  'strong',
                  { id: 'stampede-unprotected-loads' },
                  plural(without.databaseLoads, 'database load', 'database loads'),
                ),
                ' without',
              ]
            : []),
          '.',
        ),
      );
    } catch (error) {
      replaceContent(result, errorLine(`The stampede failed: ${error.message}`));
    }
  }

  // ---------- 4. live counters ----------

  const SERIES = [
    { key: 'hits', label: 'Hits', color: 'var(--series-hits)' },
    { key: 'misses', label: 'Misses', color: 'var(--series-misses)' },
    { key: 'loads', label: 'Database loads', color: 'var(--series-loads)' },
  ];
  const samples = []; // { at, cache }
  let pollTimer = null;
  // Raised by a reset: a poll sent before it may answer after it, with the old counters.
  let statsEpoch = 0;

  async function pollStats() {
    clearTimeout(pollTimer);
    const epoch = statsEpoch;
    try {
      const response = await fetch('/demo/stats', { cache: 'no-store' });
      if (!response.ok) throw new Error(`${response.status}`);
      const body = await response.json();
      if (epoch !== statsEpoch) return; // counted before the reset: the next poll shows them
      samples.push({ at: Date.now(), cache: body.cache });
      while (samples.length > 2 && samples[0].at < Date.now() - CHART_WINDOW_MS - STATS_POLL_MS)
        samples.shift();
      showCounters(body);
      drawChart();
      if ($('live-status').dataset.error) {
        $('live-status').textContent = '';
        delete $('live-status').dataset.error;
      }
    } catch {
      $('live-status').textContent = 'Counters unavailable; retrying.';
      $('live-status').dataset.error = '1';
    } finally {
      pollTimer = setTimeout(() => void pollStats(), STATS_POLL_MS);
    }
  }

  function showCounters({ cache, hitRatio }) {
    $('c-hits').textContent = cache.hits;
    $('c-misses').textContent = cache.misses;
    $('c-ratio').textContent = hitRatio === null ? '—' : `${(hitRatio * 100).toFixed(1)} %`;
    $('c-loads').textContent = cache.loads;
    $('c-stale').textContent = cache.staleServed;
    $('c-waits').textContent = cache.leaseWaits;
    $('c-errors').textContent = cache.redisErrors;
  }

  /** Events per second between consecutive samples; a counter that went down was reset. */
  function rates(key) {
    const points = [];
    for (let i = 1; i < samples.length; i++) {
      const a = samples[i - 1];
      const b = samples[i];
      if (b.at - a.at < STATS_POLL_MS / 2) continue; // an extra poll: too short to rate
      const seconds = (b.at - a.at) / 1000;
      const delta = b.cache[key] >= a.cache[key] ? b.cache[key] - a.cache[key] : b.cache[key];
      points.push({ at: b.at, rate: delta / seconds });
    }
    return points;
  }

  function perSecond(value) {
    return value >= 1000 ? `${+(value / 1000).toFixed(1)}k` : String(+value.toFixed(1));
  }

  function niceMax(value) {
    if (value <= 1) return 1;
    const magnitude = 10 ** Math.floor(Math.log10(value));
    for (const step of [1, 2, 5, 10]) if (value <= step * magnitude) return step * magnitude;
    return 10 * magnitude;
  }

  function drawChart() {
    const chart = $('chart');
    const width = Math.max(200, Math.round(chart.clientWidth || 600));
    const height = Math.max(120, Math.round(chart.clientHeight || 200));
    chart.setAttribute('viewBox', `0 0 ${width} ${height}`);
    for (const node of [...chart.children])
      if (node.tagName !== 'title' && node.tagName !== 'desc') node.remove();
    const left = 52;
    const right = 8;
    const top = 8;
    const bottom = 22;
    const now = Date.now();
    const span = Math.min(
      CHART_WINDOW_MS,
      Math.max(CHART_MIN_SPAN_MS, samples.length ? now - samples[0].at : 0),
    );
    const series = SERIES.map((s) => ({
      ...s,
      points: rates(s.key).filter((p) => p.at >= now - span),
    }));
    const max = niceMax(Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.rate))));
    const x = (at) => left + ((at - (now - span)) / span) * (width - left - right);
    const y = (rate) => top + (1 - rate / max) * (height - top - bottom);
    for (const fraction of [0, 0.5, 1]) {
      const value = max * fraction;
      chart.append(
        svg('line', {
          x1: left,
          x2: width - right,
          y1: y(value),
          y2: y(value),
          stroke: '#d5dbe1',
          'stroke-width': 1,
        }),
        svg(
          'text',
          { x: left - 6, y: y(value) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#4f5863' },
          `${perSecond(value)}/s`,
        ),
      );
    }
    const ago = (msAgo) =>
      msAgo >= 60000 ? `−${+(msAgo / 60000).toFixed(1)} min` : `−${Math.round(msAgo / 1000)} s`;
    for (const [fraction, anchor] of [
      [1, 'start'],
      [0.5, 'middle'],
      [0, 'end'],
    ]) {
      chart.append(
        svg(
          'text',
          {
            x: x(now - fraction * span),
            y: height - 6,
            'text-anchor': anchor,
            'font-size': 11,
            fill: '#4f5863',
          },
          fraction === 0 ? 'now' : ago(fraction * span),
        ),
      );
    }
    for (const s of series) {
      if (s.points.length === 0) continue;
      const d = s.points
        .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.at).toFixed(1)},${y(p.rate).toFixed(1)}`)
        .join(' ');
      const last = s.points[s.points.length - 1];
      chart.append(
        svg('path', {
          d,
          fill: 'none',
          stroke: s.color,
          'stroke-width': 2,
          'stroke-linejoin': 'round',
        }),
        svg('circle', {
          cx: x(last.at).toFixed(1),
          cy: y(last.rate).toFixed(1),
          r: 3,
          fill: s.color,
        }),
      );
    }
    $('chart-legend').replaceChildren(
      ...series.map((s) => {
        const last = s.points.length ? s.points[s.points.length - 1].rate : 0;
        const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
        swatch.style.background = s.color;
        return el('span', {}, swatch, `${s.label}: ${+last.toFixed(1)}/s now`);
      }),
    );
  }

  async function resetCounters() {
    try {
      // JSON, like every state-changing demo call: the server refuses anything else (415).
      const response = await fetch('/demo/stats/reset', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      });
      if (!response.ok) throw new Error(await apiError(response));
      statsEpoch++;
      samples.length = 0; // the chart starts over with the counters
      await pollStats();
      // said once the counters on the page are the ones after the reset
      $('live-status').textContent = 'Counters reset.';
    } catch (error) {
      $('live-status').textContent = `Reset failed: ${error.message}`;
    }
  }

  // ---------- wiring ----------

  document.addEventListener('DOMContentLoaded', () => {
    $('lookup-form').addEventListener('submit', busy($('lookup-button'), lookUp));
    $('patch-form').addEventListener('submit', busy($('patch-button'), patch));
    $('put-form').addEventListener('submit', busy($('put-button'), put));
    $('stampede-form').addEventListener('submit', busy($('stampede-button'), stampede));
    $('reset-button').addEventListener('click', busy($('reset-button'), resetCounters));
    window.addEventListener('resize', drawChart);
    void pollStats();
  });
})();
