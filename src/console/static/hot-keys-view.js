// The Hot keys view (Contributor Insights), polled from GET /_monodyne/contributors: per table,
// the most accessed and the most throttled partition keys of the last minutes, and a switch to
// turn Contributor Insights on or off (UpdateContributorInsights).
import { h } from './dom.js';

export class HotKeysView {
  constructor(api, notify) {
    this.api = api;
    this.notify = notify;
    this.body = h('div', {}, h('p', { className: 'muted' }, 'Loading…'));
    this.element = h(
      'div',
      { className: 'hot-keys-view' },
      h('h2', {}, 'Hot keys (Contributor Insights)'),
      h('p', { className: 'muted', id: 'hot-keys-note' }, ''),
      this.body,
    );
  }

  async refresh() {
    const report = await this.api.admin('GET', 'contributors');
    this.element.querySelector('#hot-keys-note').textContent =
      `Counts are of requests by partition key and halve every ${report.halfLifeSeconds} s, so they show recent traffic. ` +
      'Turn Contributor Insights on for a table to count its keys.';
    if (report.tables.length === 0) {
      this.body.replaceChildren(h('p', { className: 'muted' }, 'No tables yet.'));
      return;
    }
    this.body.replaceChildren(...report.tables.map((t) => this.table(t)));
  }

  table(t) {
    const enabled = t.contributorInsightsStatus === 'ENABLED';
    return h(
      'section',
      { className: 'panel', dataset: { tableName: t.tableName } },
      h(
        'h3',
        {},
        `${t.tableName}${t.indexName ? ` / ${t.indexName}` : ''} · partition key ${t.partitionKey.name} · ${t.contributorInsightsStatus}`,
        enabled ? ` (${t.contributorInsightsMode})` : '',
        ' ',
        h('button', { className: 'small', onClick: () => this.toggle(t.tableName, enabled) }, enabled ? 'Disable' : 'Enable'),
      ),
      enabled
        ? h(
            'div',
            { className: 'hot-columns' },
            t.accessed === null ? h('p', { className: 'muted' }, 'Accesses are not counted in THROTTLED_KEYS mode.') : bars('Most accessed', t.accessed),
            bars('Most throttled', t.throttled),
          )
        : null,
    );
  }

  async toggle(tableName, enabled) {
    try {
      await this.api.call('UpdateContributorInsights', { TableName: tableName, ContributorInsightsAction: enabled ? 'DISABLE' : 'ENABLE' });
      await this.refresh();
    } catch (err) {
      this.notify(`${err.name}: ${err.message}`, true);
    }
  }
}

function bars(title, entries) {
  const max = Math.max(1, ...entries.map((e) => e.count));
  return h(
    'div',
    { className: 'hot-list' },
    h('h4', {}, title),
    entries.length === 0
      ? h('p', { className: 'muted' }, 'Nothing counted yet.')
      : h(
          'ol',
          {},
          ...entries.map((e) => {
            const fill = h('span', { className: 'bar-fill' });
            fill.style.width = `${(e.count / max) * 100}%`;
            return h('li', { dataset: { key: e.key } }, h('span', { className: 'hot-key mono' }, e.key), h('span', { className: 'bar' }, fill), h('span', { className: 'count' }, e.count.toFixed(1)));
          }),
        ),
  );
}
