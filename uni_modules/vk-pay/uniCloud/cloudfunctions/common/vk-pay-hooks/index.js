// vk-pay business hooks. One file per order type, named after the type: recharge.js, goods.js, vip.js, ...
// Each exports `onPaid(ctx)` and/or `onRefunded(ctx)`. vk-pay loads `<type>.js` from this folder and runs it
// through its outbox: AT LEAST ONCE, retried with backoff until it returns without throwing, dead-lettered
// (with an alert) after the last try, replayable by an admin (`replayHooks`).
//
// Because a hook can run more than once, it must be idempotent: see recharge.js for the pattern.
//
// ctx = {
//   event: 'paid' | 'refunded',
//   order,        // the payment_orders document (out_trade_no, user_id, type, amount in fen, goods_id, ...)
//   refund,       // for onRefunded: { out_refund_no, amount }
//   db, _,        // uniCloud.database() and db.command
//   dao,          // a vk.baseDao-compatible data-access object
//   attempt,      // 1 on the first run
//   now,          // ms epoch
// }
// Optionally also `effectOf({ order, db, _, dao, now })`: what the payer's result page shows the purchase did,
// e.g. { kind: 'points', points, balance } (read-only, called after onPaid finished, for the order's owner only).
//
// Throw to have the hook retried later. Upload the functions again after changing these files.
'use strict';
module.exports = {};
