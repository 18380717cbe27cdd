// Request members shared by several data-plane operations.
import type { Shape } from '../validation/request-shape.ts';

export const attributeMapShape: Shape = { type: 'Map', value: { type: 'AttributeValue' } };
export const keyShape: Shape = { type: 'Map', notNull: true, value: { type: 'AttributeValue' } };
export const returnConsumedCapacityShape: Shape = { type: 'String', enum: ['INDEXES', 'TOTAL', 'NONE'] };
export const returnItemCollectionMetricsShape: Shape = { type: 'String', enum: ['SIZE', 'NONE'] };
export const returnValuesShape: Shape = { type: 'String', enum: ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'] };
export const expressionNamesShape: Shape = { type: 'Map', value: { type: 'String' } };
export const expressionValuesShape: Shape = { type: 'Map', value: { type: 'AttributeValue' } };
export const selectShape: Shape = { type: 'String', enum: ['ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES', 'SPECIFIC_ATTRIBUTES', 'COUNT'] };
