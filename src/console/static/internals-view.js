// The Internals view, polled every second from GET /_monodyne/partitions: storage nodes and
// their zones, every table's partitions (hash ranges, leader and replicas per zone, epochs,
// replication lag), live charts of consumed against provisioned capacity and of throttled
// requests, split history, failovers on a timeline, long work in progress, and fault buttons.
import { h, svg, bytes, clock } from './dom.js';
import { LineChart, palette } from './charts.js';

/** Hash ranges are [hashStart, hashEnd) over the 32-bit MD5 prefix. */
const hashSpace = 2 ** 32;
const chartSpanMs = 60_000;
const samplesKept = 120;

export class InternalsView {
  constructor(api, notify) {
    this.api = api;
    this.notify = notify;
    /** "table#partition" → [{ t, read, write, readLimit, writeLimit, throttled }] */
    this.samples = new Map();
    this.charts = new Map();
    this.lastThrottled = new Map();
    this.body = h('div', { className: 'internals-body' }, h('p', { className: 'muted' }, 'Loading…'));
    this.status = h('span', { className: 'muted', id: 'internals-updated' });
    this.element = h('div', { className: 'internals-view' }, h('h2', {}, 'Internals ', this.status), this.body);
  }

  async refresh() {
    const view = await this.api.admin('GET', 'partitions');
    const now = Date.now();
    this.record(view, now);
    this.render(view, now);
    this.status.textContent = `map version ${view.mapVersion} · updated ${clock(now)}`;
  }

  record(view, now) {
    for (const table of view.tables) {
      for (const p of table.partitions) {
        const id = `${table.tableName}#${p.partition}`;
        const c = p.capacity;
        if (!c) continue;
        const throttledTotal = c.read.throttledRequests + c.write.throttledRequests;
        const previous = this.lastThrottled.get(id);
        this.lastThrottled.set(id, { t: now, total: throttledTotal });
        const throttledRate = previous ? Math.max(0, throttledTotal - previous.total) / Math.max(0.001, (now - previous.t) / 1000) : 0;
        let list = this.samples.get(id);
        if (!list) this.samples.set(id, (list = []));
        list.push({
          t: now,
          read: c.read.consumedUnitsPerSecond,
          write: c.write.consumedUnitsPerSecond,
          readLimit: c.read.provisionedUnitsPerSecond ?? c.read.ceilingUnitsPerSecond,
          writeLimit: c.write.provisionedUnitsPerSecond ?? c.write.ceilingUnitsPerSecond,
          throttled: throttledRate,
          lag: Math.max(0, ...p.followers.map((f) => f.lag ?? 0)),
        });
        if (list.length > samplesKept) list.shift();
      }
    }
  }

  render(view, now) {
    const sections = [this.nodes(view)];
    if (view.faultsEnabled) sections.push(this.faults(view));
    sections.push(this.failovers(view, now));
    if (Array.isArray(view.work)) sections.push(this.work(view.work, now));
    for (const table of view.tables) sections.push(this.table(table, view, now));
    sections.push(this.splitHistory(view));
    if (view.tables.length === 0) sections.push(h('p', { className: 'muted' }, 'No tables yet: create one in the Tables view.'));
    this.body.replaceChildren(...sections);
  }

  nodes(view) {
    const leads = new Map();
    for (const t of view.tables) for (const p of t.partitions) leads.set(p.leader, (leads.get(p.leader) ?? 0) + 1);
    return h(
      'section',
      { className: 'panel' },
      h('h3', {}, 'Storage nodes'),
      h(
        'div',
        { className: 'node-cards' },
        ...view.nodes.map((n) =>
          h(
            'div',
            { className: n.alive ? 'node-card' : 'node-card dead', dataset: { node: n.node } },
            h('strong', {}, `node ${n.node}`),
            h('span', {}, `zone ${n.zone}`),
            h('span', {}, n.alive ? 'alive' : 'down'),
            h('span', {}, `leads ${leads.get(n.node) ?? 0} partition${leads.get(n.node) === 1 ? '' : 's'}`),
          ),
        ),
      ),
      h('p', { className: 'muted' }, `${view.splits} split${view.splits === 1 ? '' : 's'} so far · ${view.failovers.length} failover${view.failovers.length === 1 ? '' : 's'}`),
    );
  }

  table(table, view, now) {
    const zones = view.nodes.map((n) => n.node);
    const bar = svg('svg', { class: 'hash-bar', viewBox: '0 0 1000 28', preserveAspectRatio: 'none' });
    table.partitions.forEach((p) => {
      const x = (p.hashRange[0] / hashSpace) * 1000;
      const w = ((p.hashRange[1] - p.hashRange[0]) / hashSpace) * 1000;
      const rect = svg('rect', { x, y: 0, width: Math.max(1, w - 1), height: 28, fill: palette[p.leader % palette.length] });
      rect.append(svg('title', {}, `partition ${p.partition}: [${hex(p.hashRange[0])}, ${hex(p.hashRange[1])}), leader node ${p.leader}`));
      bar.append(rect, svg('text', { x: x + 4, y: 18, class: 'bar-label' }, `p${p.partition}`));
    });
    const rows = table.partitions.map((p) =>
      h(
        'tr',
        { dataset: { partition: p.partition } },
        h('td', {}, String(p.partition)),
        h('td', { className: 'mono' }, `[${hex(p.hashRange[0])}, ${hex(p.hashRange[1])})`),
        ...zones.map((z) => {
          if (z === p.leader) return h('td', { className: 'leader', dataset: { leader: z } }, 'leader');
          const f = p.followers.find((x) => x.node === z);
          if (f) return h('td', { className: 'follower' }, f.lag === null ? 'follower' : `follower, lag ${f.lag}`);
          return h('td', { className: 'muted' }, '');
        }),
        h('td', {}, String(p.epoch)),
        h('td', {}, p.items ?? '–'),
        h('td', {}, bytes(p.sizeBytes)),
        h('td', {}, p.logIndex ?? '–'),
        h('td', {}, p.capacity ? `${p.capacity.read.throttledRequests + p.capacity.write.throttledRequests}` : '–'),
        view.faultsEnabled ? h('td', {}, h('button', { className: 'small', onClick: () => this.fault({ action: 'split', table: table.tableName, partition: p.partition }) }, 'split')) : null,
      ),
    );
    const grid = h(
      'table',
      { className: 'grid partitions' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'partition'),
          h('th', {}, 'hash range'),
          ...zones.map((z) => h('th', {}, `node ${z} (zone ${view.nodes[z]?.zone ?? z})`)),
          h('th', {}, 'epoch'),
          h('th', {}, 'items'),
          h('th', {}, 'size'),
          h('th', {}, 'log index'),
          h('th', {}, 'throttled'),
          view.faultsEnabled ? h('th', {}, '') : null,
        ),
      ),
      h('tbody', {}, ...rows),
    );
    return h(
      'section',
      { className: 'panel', dataset: { tableName: table.tableName } },
      h('h3', {}, `${table.tableName} · ${table.partitions.length} partition${table.partitions.length === 1 ? '' : 's'}`),
      bar,
      grid,
      this.tableCharts(table, now),
    );
  }

  tableCharts(table, now) {
    const charts = this.chartsOf(table.tableName);
    const series = (pick, limit) =>
      table.partitions.map((p, i) => {
        const list = this.samples.get(`${table.tableName}#${p.partition}`) ?? [];
        const last = list[list.length - 1];
        return { name: `p${p.partition}`, color: palette[i % palette.length], points: list.map((s) => ({ t: s.t, v: pick(s) })), limit: limit && last ? limit(last) : null };
      });
    const wrap = h('div', { className: 'charts' }, charts.read.element, charts.write.element, charts.throttled.element, charts.lag.element);
    // Drawn once the figures are in the document (the canvas needs its laid-out width).
    requestAnimationFrame(() => {
      charts.read.draw(series((s) => s.read, (s) => s.readLimit), now, chartSpanMs);
      charts.write.draw(series((s) => s.write, (s) => s.writeLimit), now, chartSpanMs);
      charts.throttled.draw(series((s) => s.throttled), now, chartSpanMs);
      charts.lag.draw(series((s) => s.lag), now, chartSpanMs);
    });
    return wrap;
  }

  chartsOf(tableName) {
    let c = this.charts.get(tableName);
    if (!c) {
      c = {
        read: new LineChart('Read units consumed per second (dashed: what the partition may use)', 'RCU/s'),
        write: new LineChart('Write units consumed per second (dashed: what the partition may use)', 'WCU/s'),
        throttled: new LineChart('Throttled requests per second', 'req/s'),
        lag: new LineChart('Replication lag of the furthest follower', 'entries'),
      };
      this.charts.set(tableName, c);
    }
    return c;
  }

  failovers(view, now) {
    const list = view.failovers;
    const section = h('section', { className: 'panel', id: 'failovers' }, h('h3', {}, 'Failovers'));
    if (list.length === 0) {
      section.append(h('p', { className: 'muted' }, 'None since the server started.'));
      return section;
    }
    const start = Math.min(...list.map((f) => f.detectedAt)) - 5_000;
    const span = Math.max(10_000, now - start);
    const x = (t) => 20 + ((t - start) / span) * 960;
    const timeline = svg('svg', { class: 'timeline', viewBox: '0 0 1000 60' });
    timeline.append(svg('line', { x1: 20, y1: 30, x2: 980, y2: 30, class: 'axis' }));
    list.forEach((f, i) => {
      const end = f.repairedAt ?? now;
      timeline.append(svg('rect', { x: x(f.detectedAt), y: 24, width: Math.max(2, x(end) - x(f.detectedAt)), height: 12, class: f.repairedAt ? 'repaired' : 'repairing' }));
      timeline.append(svg('circle', { cx: x(f.detectedAt), cy: 30, r: 5, class: 'failover-dot' }));
      timeline.append(svg('text', { x: x(f.detectedAt), y: i % 2 === 0 ? 14 : 54, class: 'bar-label' }, `node ${f.node}`));
    });
    section.append(
      timeline,
      h(
        'table',
        { className: 'grid' },
        h('thead', {}, h('tr', {}, h('th', {}, 'node'), h('th', {}, 'detected'), h('th', {}, 'leaders moved'), h('th', {}, 'replacement started'), h('th', {}, 'replicas rebuilt'))),
        h(
          'tbody',
          {},
          ...list.map((f) =>
            h(
              'tr',
              {},
              h('td', {}, String(f.node)),
              h('td', {}, clock(f.detectedAt)),
              h('td', {}, after(f.leadersMovedAt, f.detectedAt)),
              h('td', {}, after(f.replacedAt, f.detectedAt)),
              h('td', {}, after(f.repairedAt, f.detectedAt)),
            ),
          ),
        ),
      ),
    );
    return section;
  }

  work(list, now) {
    const section = h('section', { className: 'panel' }, h('h3', {}, 'Long work in progress'));
    const running = list.filter((w) => w.done !== true);
    if (running.length === 0) section.append(h('p', { className: 'muted' }, 'Nothing running.'));
    for (const w of running) {
      const fraction = typeof w.done === 'number' ? Math.max(0, Math.min(1, w.done)) : null;
      const meter = h('progress', { max: 1, value: fraction ?? undefined });
      section.append(
        h(
          'div',
          { className: 'work' },
          h('strong', {}, `${w.kind} ${w.tableName} p${w.partition}${w.node !== undefined ? ` on node ${w.node}` : ''}`),
          meter,
          h('span', {}, `${w.step ?? ''} · ${Math.round((now - w.startedAt) / 1000)} s`),
        ),
      );
    }
    return section;
  }

  splitHistory(view) {
    const section = h('section', { className: 'panel' }, h('h3', {}, 'Split history'));
    if (!Array.isArray(view.splitHistory)) {
      section.append(h('p', { className: 'muted' }, `${view.splits} split${view.splits === 1 ? '' : 's'} since the server started (the server does not report their details).`));
      return section;
    }
    if (view.splitHistory.length === 0) section.append(h('p', { className: 'muted' }, 'No splits yet.'));
    else
      section.append(
        h(
          'ul',
          {},
          ...view.splitHistory
            .slice()
            .reverse()
            .map((s) => h('li', {}, `${clock(s.at)}: ${s.tableName} partition ${s.partition} → ${s.children.join(' and ')}`)),
        ),
      );
    return section;
  }

  faults(view) {
    // Built once per set of nodes, so its input keeps what was typed across refreshes.
    if (this.faultsPanel && this.faultsPanelNodes === view.nodes.length) return this.faultsPanel;
    this.faultsPanelNodes = view.nodes.length;
    this.faultsPanel = this.faultsSection(view);
    return this.faultsPanel;
  }

  faultsSection(view) {
    const ms = h('input', { type: 'number', min: 1, max: 60000, value: '50', className: 'narrow' });
    return h(
      'section',
      { className: 'panel faults' },
      h('h3', {}, 'Faults (faults.enabled)'),
      ...view.nodes.map((n) =>
        h(
          'div',
          { className: 'fault-row' },
          h('strong', {}, `node ${n.node}`),
          h('button', { className: 'small danger', onClick: () => this.fault({ action: 'kill', worker: n.node }) }, 'kill'),
          h('button', { className: 'small', onClick: () => this.fault({ action: 'hang', worker: n.node }) }, 'hang'),
          h('button', { className: 'small', onClick: () => this.fault({ action: 'resume', worker: n.node }) }, 'resume'),
          h('button', { className: 'small', onClick: () => this.fault({ action: 'delay', to: n.node, ms: Number(ms.value) }) }, 'delay replication to it'),
          h('button', { className: 'small', onClick: () => this.fault({ action: 'drop', to: n.node }) }, 'drop replication to it'),
          h('button', { className: 'small', onClick: () => this.fault({ action: 'heal', to: n.node }) }, 'heal'),
        ),
      ),
      h('label', {}, 'delay in ms ', ms),
    );
  }

  async fault(command) {
    try {
      const result = await this.api.admin('POST', 'faults', command);
      this.notify(`${command.action}: ${JSON.stringify(result)}`);
      await this.refresh();
    } catch (err) {
      this.notify(`${err.name}: ${err.message}`, true);
    }
  }
}

function hex(n) {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

function after(t, from) {
  return t === null || t === undefined ? '…' : `+${t - from} ms`;
}
