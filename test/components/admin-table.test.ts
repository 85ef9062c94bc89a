// @vitest-environment happy-dom
/**
 * The admin console's shared list frame (components/admin-table): the total, the page's own header and rows, the
 * empty message, and a pager that only asks to turn when there is somewhere to go and nothing is loading.
 * (Outside uni-app the locale is English; the browser test reads the same frame in Chinese.)
 */
import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { h } from 'vue';
import AdminTable from '../../components/admin-table/admin-table.vue';

const base = { total: 45, page: 1, pageSize: 20, hasMore: true, loading: false, empty: false, emptyText: 'nothing here' };

function frame(props: Partial<typeof base> = {}) {
  return mount(AdminTable, {
    props: { ...base, ...props },
    slots: {
      head: () => h('div', { class: 'tr th' }, 'head'),
      default: () => [h('div', { class: 'tr row' }, 'a'), h('div', { class: 'tr row' }, 'b')],
    },
  });
}

describe('admin table frame', () => {
  it('draws the total, the page of pages, the header before the rows, and turns forward only', async () => {
    const w = frame();
    expect(w.find('.total').text()).toBe('45 in all');
    expect(w.find('.page-no').text()).toBe('Page 1 of 3');
    expect(w.findAll('.table > .tr').map((r) => r.text())).toEqual(['head', 'a', 'b']);
    expect(w.find('.empty').exists()).toBe(false);
    expect(w.find('.prev-btn').attributes('disabled')).toBeDefined();
    expect(w.find('.next-btn').attributes('disabled')).toBeUndefined();
    await w.find('.next-btn').trigger('click');
    expect(w.emitted('turn')).toEqual([[1]]);
  });

  it('on the last page turns back only; while loading turns neither way', async () => {
    const last = frame({ page: 3, hasMore: false });
    expect(last.find('.page-no').text()).toBe('Page 3 of 3');
    expect(last.find('.next-btn').attributes('disabled')).toBeDefined();
    await last.find('.prev-btn').trigger('click');
    expect(last.emitted('turn')).toEqual([[-1]]);
    const busy = frame({ page: 2, loading: true });
    expect(busy.find('.prev-btn').attributes('disabled')).toBeDefined();
    expect(busy.find('.next-btn').attributes('disabled')).toBeDefined();
  });

  it('says it is empty once nothing is loading, and counts an empty list as one page', async () => {
    const w = frame({ total: 0, hasMore: false, empty: true });
    expect(w.find('.empty').text()).toBe('nothing here');
    expect(w.find('.page-no').text()).toBe('Page 1 of 1');
    await w.setProps({ loading: true });
    expect(w.find('.empty').exists()).toBe(false);
  });
});
