// The Tables view: every table with its key schema, item count and Contributor Insights, a form
// to create one, and a selected table's items: scan or query them a page at a time (forward
// and back), put, edit and delete one. Editing names the item edited, and a changed key saves
// a new item only when the user ticks the box that says so.
import { h, show } from './dom.js';

export class TablesView {
  constructor(api, notify) {
    this.api = api;
    this.notify = notify;
    this.selected = null;
    this.description = null;
    /** The read shown: its operation and input (no ExclusiveStartKey), the start key of each page so far (undefined: the first), and the page shown. */
    this.lastRead = null;
    /** The key of the item in the editor when it was loaded from a row (null: a new item). */
    this.editing = null;
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
    const sk = h('input', { name: 'SortKey', placeholder: 'SongTitle' });
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
      h('label', {}, 'Name', h('span', { className: 'fields' }, name)),
      h('label', {}, 'Partition key', h('span', { className: 'fields' }, pk, pkType)),
      h('label', {}, 'Sort key (optional)', h('span', { className: 'fields' }, sk, skType)),
      h('label', {}, 'Capacity', h('span', { className: 'fields' }, billing)),
      h('label', {}, 'Read / write capacity units (provisioned)', h('span', { className: 'fields' }, rcu, wcu)),
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
    this.editor = h('textarea', { id: 'item-editor', rows: 8, spellcheck: 'false', placeholder: `{"${hash}": {"${typeOf(hash)}": "..."}${range ? `, "${range}": {"${typeOf(range)}": "..."}` : ''}, "name": {"S": "Ada"}}` });
    this.editorTitle = h('h3', { id: 'editor-title' });
    this.saveButton = h('button', { id: 'put-item', onClick: () => this.putItem() });
    this.asNewItem = h('input', { type: 'checkbox', id: 'save-as-new-item' });
    this.asNewItemLabel = h('label', { className: 'inline' }, this.asNewItem, ' save as a new item if the key is changed (the edited item stays)');
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
        h('button', { id: 'scan-button', onClick: () => this.scan() }, 'Scan'),
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
        this.editorTitle,
        this.editor,
        h('div', { className: 'editor-actions' }, this.saveButton, h('button', { className: 'secondary', id: 'clear-item', onClick: () => this.edit(null) }, 'Clear (new item)'), this.asNewItemLabel),
      ),
    );
    this.edit(null);
  }

  /** Loads `item` into the editor to be edited (null: an empty editor for a new item), and says which. */
  edit(item) {
    this.editing = item === null ? null : this.keyOf(item);
    this.editor.value = item === null ? '' : JSON.stringify(item, null, 2);
    this.asNewItem.checked = false;
    this.asNewItemLabel.classList.toggle('hidden', item === null);
    this.editorTitle.textContent = item === null ? 'New item (DynamoDB JSON)' : `Editing the item ${this.describeKey(this.editing)} (DynamoDB JSON)`;
    this.saveButton.textContent = item === null ? 'Put item' : 'Save item';
  }

  /** The primary key attributes of `item`. */
  keyOf(item) {
    const { hash, range } = this.keyNames();
    return { [hash]: item[hash], ...(range ? { [range]: item[range] } : {}) };
  }

  describeKey(key) {
    return Object.entries(key)
      .map(([name, value]) => `${name} = ${value === undefined ? '(missing)' : show(value)}`)
      .join(', ');
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

  async scan() {
    await this.read('Scan', { TableName: this.selected, Limit: pageItemsMax });
  }

  async query(pk, op, v1, v2, forward) {
    const { hash, range, typeOf } = this.keyNames();
    const input = {
      TableName: this.selected,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': hash },
      ExpressionAttributeValues: { ':pk': typed(typeOf(hash), pk) },
      ScanIndexForward: forward,
      Limit: pageItemsMax,
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
    await this.read('Query', input);
  }

  /**
   * Reads and shows page `pageIndex` of a Scan or Query: its start key is the previous page's
   * LastEvaluatedKey, kept in `starts` (page 0 starts at the beginning).
   */
  async read(operation, input, starts = [undefined], pageIndex = 0, consistent = false) {
    let page;
    try {
      const request = { ...input, ...(starts[pageIndex] ? { ExclusiveStartKey: starts[pageIndex] } : {}), ...(consistent ? { ConsistentRead: true } : {}) };
      page = await this.api.call(operation, request);
    } catch (err) {
      this.notify(`${err.name}: ${err.message}`, true);
      return;
    }
    const pageStarts = starts.slice(0, pageIndex + 1);
    if (page.LastEvaluatedKey) pageStarts.push(page.LastEvaluatedKey);
    this.lastRead = { operation, input, starts: pageStarts, pageIndex };
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
          h('button', { className: 'small', onClick: () => this.edit(item) }, 'Edit'),
          ' ',
          h('button', { className: 'small danger', onClick: () => this.deleteItem(item) }, 'Delete'),
        ),
      ),
    );
    const pager = h(
      'div',
      { className: 'pager' },
      h('button', { className: 'secondary', id: 'previous-page', disabled: pageIndex === 0, onClick: () => this.read(operation, input, pageStarts, pageIndex - 1) }, 'Previous page'),
      h('span', { className: 'muted', id: 'page-number' }, `page ${pageIndex + 1}`),
      h('button', { className: 'secondary', id: 'next-page', disabled: !page.LastEvaluatedKey, onClick: () => this.read(operation, input, pageStarts, pageIndex + 1) }, 'Next page'),
    );
    this.items.replaceChildren(
      h('p', { className: 'muted' }, `${operation}: ${page.Count} item${page.Count === 1 ? '' : 's'} (scanned ${page.ScannedCount})`),
      h('table', { className: 'grid' }, h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', {}, c)), h('th', {}, ''))), h('tbody', {}, ...rows)),
      pager,
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
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      this.notify('The item must be a JSON object of attributes in DynamoDB JSON, e.g. {"id": {"S": "1"}}.', true);
      return;
    }
    const input = { TableName: this.selected, Item: item };
    const { hash } = this.keyNames();
    const editing = this.editing;
    const key = this.keyOf(item);
    const keyChanged = editing !== null && JSON.stringify(key) !== JSON.stringify(editing);
    if (keyChanged && !this.asNewItem.checked) {
      this.notify(
        `Not saved: the key changed from ${this.describeKey(editing)} to ${this.describeKey(key)}. Saving would create a new item beside the one being edited; ` +
          'tick "save as a new item" to do that, or put the key back.',
        true,
      );
      return;
    }
    if (editing !== null) {
      // Saving an edit replaces that item only if it is still there; a new item (a changed key,
      // asked for) replaces nothing.
      input.ConditionExpression = keyChanged ? 'attribute_not_exists(#pk)' : 'attribute_exists(#pk)';
      input.ExpressionAttributeNames = { '#pk': hash };
    }
    try {
      await this.api.call('PutItem', input);
    } catch (err) {
      if (err.name === 'ConditionalCheckFailedException') {
        this.notify(keyChanged ? `Not saved: an item ${this.describeKey(key)} already exists.` : `Not saved: the item ${this.describeKey(editing)} no longer exists.`, true);
      } else {
        this.notify(`${err.name}: ${err.message}`, true);
      }
      return;
    }
    this.notify(keyChanged ? `Saved a new item ${this.describeKey(key)}.` : 'Item saved.');
    if (editing !== null) this.edit(item);
    await this.rereadAfterWrite();
  }

  async deleteItem(item) {
    const key = this.keyOf(item);
    try {
      await this.api.call('DeleteItem', { TableName: this.selected, Key: key });
      this.notify('Item deleted.');
      if (this.editing !== null && JSON.stringify(this.editing) === JSON.stringify(key)) this.edit(null);
      await this.rereadAfterWrite();
    } catch (err) {
      this.notify(`${err.name}: ${err.message}`, true);
    }
  }

  async rereadAfterWrite() {
    const described = (await this.api.call('DescribeTable', { TableName: this.selected })).Table;
    const countsLine = this.detail.querySelector('#table-counts');
    if (countsLine) countsLine.textContent = counts(described);
    // The page shown again, read from the leader, so that it shows the write just made.
    const { operation, input, starts, pageIndex } = this.lastRead ?? { operation: 'Scan', input: { TableName: this.selected, Limit: pageItemsMax }, starts: [undefined], pageIndex: 0 };
    await this.read(operation, input, starts, pageIndex, true);
  }
}

/** Items a Scan or Query page shows (its Limit). */
const pageItemsMax = 25;

function counts(description) {
  return `${description.ItemCount} item${description.ItemCount === 1 ? '' : 's'} · ${description.TableSizeBytes} bytes`;
}

function typeSelect(name) {
  return h('select', { name }, h('option', { value: 'S' }, 'String'), h('option', { value: 'N' }, 'Number'), h('option', { value: 'B' }, 'Binary (base64)'));
}

function typed(type, text) {
  return { [type]: text };
}
