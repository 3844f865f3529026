// The masking of sensitive values is pure and shared with the UI: it lives in core.
export { MASK, maskSensitive, renderValue } from '../../core/mask.js';
