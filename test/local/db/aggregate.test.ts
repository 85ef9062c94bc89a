import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTempDb, type TempDb } from './helpers';

let t: TempDb;
beforeEach(async () => {
  t = await openTempDb();
  await t.db.collection('pay').add([
    { provider: 'wxpay', status: 'paid', total_fee: 100, refunded_fee: 0 },
    { provider: 'wxpay', status: 'paid', total_fee: 250, refunded_fee: 50 },
    { provider: 'alipay', status: 'paid', total_fee: 999, refunded_fee: 0 },
    { provider: 'alipay', status: 'pending', total_fee: 10, refunded_fee: 0 },
  ]);
});
afterEach(async () => { await t.dispose(); });

describe('aggregate()', () => {
  it('match (with db.command) + group with $.sum/$.avg + sort answers {data}', async () => {
    const _ = t.db.command;
    const $ = _.aggregate;
    const res = await t.db.collection('pay').aggregate()
      .match({ status: 'paid', total_fee: _.gt(0) })
      .group({ _id: '$provider', total: $.sum('$total_fee'), refunded: $.sum('$refunded_fee'), n: $.sum(1) })
      .sort({ total: -1 })
      .end();
    expect(res.data).toEqual([
      { _id: 'alipay', total: 999, refunded: 0, n: 1 },
      { _id: 'wxpay', total: 350, refunded: 50, n: 2 },
    ]);
  });

  it('multi-argument expressions ($.subtract) inside project, with skip and limit', async () => {
    const $ = t.db.command.aggregate;
    const res = await t.db.collection('pay').aggregate()
      .project({ _id: 0, provider: 1, net: $.subtract(['$total_fee', '$refunded_fee']) })
      .sort({ net: 1 }).skip(1).limit(2)
      .end();
    expect(res.data).toEqual([{ provider: 'wxpay', net: 100 }, { provider: 'wxpay', net: 200 }]);
  });

  it('a group over no documents answers an empty array; an unknown collection too', async () => {
    const $ = t.db.command.aggregate;
    const none = await t.db.collection('pay').aggregate().match({ status: 'refunded' })
      .group({ _id: null, total: $.sum('$total_fee') }).end();
    expect(none.data).toEqual([]);
    expect((await t.db.collection('nothing-here').aggregate().group({ _id: null, n: $.sum(1) }).end()).data).toEqual([]);
  });
});
