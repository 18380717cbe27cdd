// The Tables view: every table with its key schema, item count and Contributor Insights, a form
// to create one, and a selected table's items: scan or query them, put, edit and delete one.
import { h, show } from './dom.js';

export class TablesView {
  constructor(api, notify) {
    this.api = api;
    this.notify = notify;
    this.selected = null;
    this.description = null;
    this.pageKeys = [];
    this.lastRead = null;
    this.list = h('ul', { className: 'table-list', id: 'table-list' });
    this.detail = h('section', { className: 'table-detail', id: 'table-detail' }, h('p', { className: 'muted' }, 'Choose a table, or create one.'));
    this.element = h(
      'div',
      { className: 'tables-view' },
      h('aside', { className: 'tables-side' }, h('h2', {}, 'Tables'), this.list, this.createForm()),
      this.detail,
    );
  }

  async show() {
    await this.refreshList();
    if (this.selected !== null) await this.select(this.selected);
  }

  async refreshList() {
    const names = [];
    let start;
    do {
      const page = await this.api.call('ListTables', start === undefined ? {} : { ExclusiveStartTableName: start });
      names.push(...page.TableNames);
      start = page.LastEvaluatedTableName;
    } while (start !== undefined);
    this.list.replaceChildren(
      ...names.map((name) =>
        h('li', {}, h('button', { className: name === this.selected ? 'link selected' : 'link', dataset: { table: name }, onClick: () => this.select(name) }, name)),
      ),
    );
    if (names.length === 0) this.list.append(h('li', { className: 'muted' }, 'No tables yet.'));
  }

  createForm() {
    const name = h('input', { name: 'TableName', placeholder: 'Music', required: true, pattern: '[a-zA-Z0-9_.\\-]{3,255}' });
    const pk = h('input', { name: 'PartitionKey', placeholder: 'Artist', required: true });
    const pkType = typeSelect('PartitionKeyType');
    const sk = h('input', { name: 'SortKey', placeholder: 'SongTitle (optional)' });
    const skType = typeSelect('SortKeyType');
    const billing = h('select', { name: 'BillingMode' }, h('option', { value: 'PAY_PER_REQUEST' }, 'on demand'), h('option', { value: 'PROVISIONED' }, 'provisioned'));
    const rcu = h('input', { name: 'ReadCapacityUnits', type: 'number', min: 1, value: '5' });
    const wcu = h('input', { name: 'WriteCapacityUnits', type: 'number', min: 1, value: '5' });
    const form = h(
      'form',
      {
        className: 'create-table',
        id: 'create-table-form',
        onSubmit: async (event) => {
          event.preventDefault();
          const input = {
            TableName: name.value.trim(),
            KeySchema: [{ AttributeName: pk.value.trim(), KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: pk.value.trim(), AttributeType: pkType.value }],
            BillingMode: billing.value,
          };
          if (sk.value.trim() !== '') {
            input.KeySchema.push({ AttributeName: sk.value.trim(), KeyType: 'RANGE' });
            input.AttributeDefinitions.push({ AttributeName: sk.value.trim(), AttributeType: skType.value });
          }
          if (billing.value === 'PROVISIONED') input.ProvisionedThroughput = { ReadCapacityUnits: Number(rcu.value), WriteCapacityUnits: Number(wcu.value) };
          try {
            await this.api.call('CreateTable', input);
            this.notify(`Created table ${input.TableName}.`);
            form.reset();
            await this.refreshList();
            await this.select(input.TableName);
          } catch (err) {
            this.notify(`${err.name}: ${err.message}`, true);
          }
        },
      },
      h('h3', {}, 'Create a table'),
      h('label', {}, 'Name ', name),
      h('label', {}, 'Partition key ', pk, pkType),
      h('label', {}, 'Sort key ', sk, skType),
      h('label', {}, 'Capacity ', billing),
      h('label', {}, 'RCU/WCU (provisioned) ', rcu, wcu),
      h('button', { type: 'submit', id: 'create-table-submit' }, 'Create table'),
    );
    return form;
  }

  async select(name) {
    this.selected = name;
    for (const b of this.list.querySelectorAll('button[data-table]')) b.className = b.dataset.table === name ? 'link selected' : 'link';
    try {
      this.description = (await this.api.call('DescribeTable', { TableName: name })).Table;
    } catch (err) {
      this.notify(`${err.name}: ${err.message}`, true);
      return;
    }
    const insights = await this.api.call('DescribeContributorInsights', { TableName: name });
    this.renderDetail(insights);
    this.pageKeys = [];
    await this.scan();
  }

  keyNames() {
    const hash = this.description.KeySchema.find((k) => k.KeyType === 'HASH').AttributeName;
    const range = this.description.KeySchema.find((k) => k.KeyType === 'RANGE')?.AttributeName;
    return { hash, range, typeOf: (n) => this.description.AttributeDefinitions.find((d) => d.AttributeName === n).AttributeType };
  }

  renderDetail(insights) {
    const t = this.description;
    const { hash, range, typeOf } = this.keyNames();
    this.items = h('div', { className: 'items', id: 'items' });
    this.editor = h('textarea', { id: 'item-editor', rows: 8, spellcheck: 'false', placeholder: '{"id": {"S": "1"}, "name": {"S": "Ada"}}' });
    const enabled = insights.ContributorInsightsStatus === 'ENABLED';
    const pkValue = h('input', { id: 'query-pk', placeholder: `${hash} (${typeOf(hash)})` });
    const skOp = h('select', { id: 'query-sk-op' }, ...['', '=', '<', '<=', '>', '>=', 'begins_with', 'BETWEEN'].map((op) => h('option', { value: op }, op === '' ? '(any sort key)' : op)));
    const skValue = h('input', { id: 'query-sk', placeholder: range ? `${range} (${typeOf(range)})` : 'no sort key', disabled: range === undefined });
    const skValue2 = h('input', { id: 'query-sk2', placeholder: 'and (BETWEEN)', disabled: range === undefined });
    const forward = h('input', { type: 'checkbox', checked: true });
    this.detail.replaceChildren(
      h('h2', {}, t.TableName),
      h(
        'p',
        { className: 'facts' },
        `partition key ${hash} (${typeOf(hash)})`,
        range ? `, sort key ${range} (${typeOf(range)})` : '',
        ` · ${t.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? 'on demand' : `provisioned ${t.ProvisionedThroughput.ReadCapacityUnits} RCU / ${t.ProvisionedThroughput.WriteCapacityUnits} WCU`}`,
        ' · ',
        h('span', { id: 'table-counts' }, counts(t)),
        ' · ',
        h('span', { id: 'insights-status' }, `Contributor Insights ${insights.ContributorInsightsStatus}`),
        ' ',
        h('button', { className: 'small', id: 'insights-toggle', onClick: () => this.toggleInsights(enabled) }, enabled ? 'Disable' : 'Enable'),
        ' ',
        h('button', { className: 'small danger', onClick: () => this.deleteTable() }, 'Delete table'),
      ),
      h(
        'div',
        { className: 'read-controls' },
        h('button', { id: 'scan-button', onClick: () => ((this.pageKeys = []), this.scan()) }, 'Scan'),
        h(
          'form',
          {
            className: 'query-form',
            onSubmit: (event) => {
              event.preventDefault();
              this.query(pkValue.value, skOp.value, skValue.value, skValue2.value, forward.checked);
            },
          },
          pkValue,
          skOp,
          skValue,
          skValue2,
          h('label', {}, forward, ' ascending'),
          h('button', { type: 'submit', id: 'query-button' }, 'Query'),
        ),
      ),
      this.items,
      h(
        'div',
        { className: 'editor' },
        h('h3', {}, 'Item (DynamoDB JSON)'),
        this.editor,
        h('button', { id: 'put-item', onClick: () => this.putItem() }, 'Put item'),
        ' ',
        h('button', { className: 'secondary', onClick: () => (this.editor.value = '') }, 'Clear'),
      ),
    );
  }

  async toggleInsights(enabled) {
    try {
      await this.api.call('UpdateContributorInsights', { TableName: this.selected, ContributorInsightsAction: enabled ? 'DISABLE' : 'ENABLE' });
      await this.select(this.selected);
    } catch (err) {
      this.notify(`${err.name}: ${err.message}`, true);
    }
  }

  async deleteTable() {
    if (!confirm(`Delete table ${this.selected} and all its items?`)) return;
    try {
      await this.api.call('DeleteTable', { TableName: this.selected });
      this.notify(`Deleted table ${this.selected}.`);
      this.selected = null;
      this.detail.replaceChildren(h('p', { className: 'muted' }, 'Choose a table, or create one.'));
      await this.refreshList();
    } catch (err) {
      this.notify(`${err.name}: ${err.message}`, true);
    }
  }

  async scan(startKey) {
    await this.read('Scan', { TableName: this.selected, Limit: 25, ...(startKey ? { ExclusiveStartKey: startKey } : {}) });
  }

  async query(pk, op, v1, v2, forward) {
    const { hash, range, typeOf } = this.keyNames();
    const input = {
      TableName: this.selected,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': hash },
      ExpressionAttributeValues: { ':pk': typed(typeOf(hash), pk) },
      ScanIndexForward: forward,
      Limit: 25,
    };
    if (range && op !== '') {
      input.ExpressionAttributeNames['#sk'] = range;
      input.ExpressionAttributeValues[':sk'] = typed(typeOf(range), v1);
      if (op === 'begins_with') input.KeyConditionExpression += ' AND begins_with(#sk, :sk)';
      else if (op === 'BETWEEN') {
        input.ExpressionAttributeValues[':sk2'] = typed(typeOf(range), v2);
        input.KeyConditionExpression += ' AND #sk BETWEEN :sk AND :sk2';
      } else input.KeyConditionExpression += ` AND #sk ${op} :sk`;
    }
    this.pageKeys = [];
    await this.read('Query', input);
  }

  async read(operation, input) {
    let page;
    try {
      page = await this.api.call(operation, input);
    } catch (err) {
      this.notify(`${err.name}: ${err.message}`, true);
      return;
    }
    this.lastRead = { operation, input };
    const { hash, range } = this.keyNames();
    const columns = [hash, ...(range ? [range] : [])];
    for (const item of page.Items) for (const name of Object.keys(item)) if (!columns.includes(name)) columns.push(name);
    const rows = page.Items.map((item) =>
      h(
        'tr',
        { dataset: { key: show(item[hash]) + (range ? `/${show(item[range])}` : '') } },
        ...columns.map((c) => h('td', {}, show(item[c]))),
        h(
          'td',
          { className: 'actions' },
          h('button', { className: 'small', onClick: () => (this.editor.value = JSON.stringify(item, null, 2)) }, 'Edit'),
          ' ',
          h('button', { className: 'small danger', onClick: () => this.deleteItem(item) }, 'Delete'),
        ),
      ),
    );
    const next = page.LastEvaluatedKey
      ? h('button', { className: 'secondary', id: 'next-page', onClick: () => this.read(operation, { ...input, ExclusiveStartKey: page.LastEvaluatedKey }) }, 'Next page')
      : '';
    this.items.replaceChildren(
      h('p', { className: 'muted' }, `${operation}: ${page.Count} item${page.Count === 1 ? '' : 's'} (scanned ${page.ScannedCount})`),
      h('table', { className: 'grid' }, h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', {}, c)), h('th', {}, ''))), h('tbody', {}, ...rows)),
      next,
    );
  }

  async putItem() {
    let item;
    try {
      item = JSON.parse(this.editor.value);
    } catch (err) {
      this.notify(`The item is not JSON: ${err.message}`, true);
      return;
    }
    try {
      await this.api.call('PutItem', { TableName: this.selected, Item: item });
      this.notify('Item saved.');
      await this.rereadAfterWrite();
    } catch (err) {
      this.notify(`${err.name}: ${err.message}`, true);
    }
  }

  async deleteItem(item) {
    const { hash, range } = this.keyNames();
    const key = { [hash]: item[hash], ...(range ? { [range]: item[range] } : {}) };
    try {
      await this.api.call('DeleteItem', { TableName: this.selected, Key: key });
      this.notify('Item deleted.');
      await this.rereadAfterWrite();
    } catch (err) {
      this.notify(`${err.name}: ${err.message}`, true);
    }
  }

  async rereadAfterWrite() {
    const described = (await this.api.call('DescribeTable', { TableName: this.selected })).Table;
    const countsLine = this.detail.querySelector('#table-counts');
    if (countsLine) countsLine.textContent = counts(described);
    // Reads the leader, so the page shows the write just made.
    const { operation, input } = this.lastRead ?? { operation: 'Scan', input: { TableName: this.selected, Limit: 25 } };
    const first = { ...input, ConsistentRead: true };
    delete first.ExclusiveStartKey;
    await this.read(operation, first);
  }
}

function counts(description) {
  return `${description.ItemCount} item${description.ItemCount === 1 ? '' : 's'} · ${description.TableSizeBytes} bytes`;
}

function typeSelect(name) {
  return h('select', { name }, h('option', { value: 'S' }, 'String'), h('option', { value: 'N' }, 'Number'), h('option', { value: 'B' }, 'Binary (base64)'));
}

function typed(type, text) {
  return { [type]: text };
}
