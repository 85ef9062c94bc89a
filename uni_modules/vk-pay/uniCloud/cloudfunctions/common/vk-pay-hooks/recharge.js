// Demo hook for the `recharge` order type: credits the user's points EXACTLY ONCE, however many times the hook
// runs (the outbox runs hooks at least once, so a retry after a crash or timeout must not credit twice).
//
// THE PATTERN TO COPY: make the effect and its "already done" marker ONE single-document conditional update.
//   where({ user_id, credited_orders: _.nin([out_trade_no]) })          <- only if this order is not credited yet
//   .update({ points: _.inc(amount), credited_orders: _.push(out_trade_no) })  <- credit and mark, atomically
// A single-document update is the one write uniCloud makes atomic, so two concurrent runs cannot both match:
// the second sees out_trade_no already in credited_orders and updates nothing. Never "read, check, then
// write" in two steps - that is how double credits happen.
//
// (credited_orders grows by one entry per order; for very active users keep a ledger collection with a unique
// index on out_trade_no instead and insert one row per credit - a duplicate-key error then means "done".)
'use strict';

const POINTS = 'vk_pay_points';

function isDuplicateKey(err) {
  return Boolean(err) && (err.code === 11000 || /E11000|duplicate key/i.test(String(err.message)));
}

async function creditOnce(db, userId, orderNo, points) {
  const _ = db.command;
  const ledger = db.collection(POINTS);
  const credit = () => ledger
    .where({ user_id: userId, credited_orders: _.nin([orderNo]) })
    .update({ points: _.inc(points), credited_orders: _.push(orderNo) });
  if ((await credit()).updated === 1) return true;
  // Nothing matched: either this order was credited already, or the user had no ledger yet - which another
  // order's hook may have created a moment ago. If the ledger exists now, credit through it: the same
  // conditional update, which changes nothing when this order is credited already.
  const existing = await ledger.where({ user_id: userId }).limit(1).get();
  if (existing.data.length > 0) return (await credit()).updated === 1;
  try {
    // First credit for this user: the unique index on user_id lets exactly one creator win.
    await ledger.add({ user_id: userId, points, credited_orders: [orderNo], debited_refunds: [], create_date: Date.now() });
    return true;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return (await credit()).updated === 1; // someone created the ledger meanwhile: credit through it
  }
}

module.exports = {
  // 1 fen paid = 1 point.
  async onPaid({ order, db }) {
    const credited = await creditOnce(db, order.user_id, order.out_trade_no, order.amount);
    return { credited };
  },

  // What the payer's result page shows (read-only; vk-pay calls it only for the order's owner, after onPaid ran).
  async effectOf({ order, db }) {
    const res = await db.collection(POINTS).where({ user_id: order.user_id }).limit(1).get();
    const ledger = res.data[0];
    if (!ledger || !(ledger.credited_orders || []).includes(order.out_trade_no)) return { kind: 'points', points: 0 };
    return { kind: 'points', points: order.amount, balance: ledger.points };
  },

  // A refund takes the points back, once per out_refund_no, by the same single-document pattern.
  async onRefunded({ order, refund, db }) {
    const _ = db.command;
    const res = await db.collection(POINTS)
      .where({ user_id: order.user_id, debited_refunds: _.nin([refund.out_refund_no]) })
      .update({ points: _.inc(-refund.amount), debited_refunds: _.push(refund.out_refund_no) });
    return { debited: res.updated === 1 };
  },
};
