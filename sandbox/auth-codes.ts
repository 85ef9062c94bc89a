/**
 * Payment codes a payer's phone shows (`POST /sandbox/control/auth-code {provider}`), for the shop to scan:
 * Alipay's 18 digits starting 28, WeChat's 18 digits starting 13. A code is good for one payment and for
 * two minutes, as a real one refreshes. A code made with `password: true` stands for a payment the payer must
 * confirm: the gateway answers "waiting" (Alipay 10003 / WeChat USERPAYING) and the payer confirms a few
 * seconds later (`confirm: "pay"`, scaled by timeFactor) or never (`confirm: "never"`).
 */
import { randomDigits } from './credentials';
import type { Ledger } from './ledger';
import type { SandboxChannel, SandboxState } from './state';

export interface SandboxAuthCode {
  code: string;
  provider: 'alipay' | 'wxpay';
  password: boolean;
  confirm: 'pay' | 'never';
  issued_at: number;
  /** the order that used it */
  used_by?: string;
}

/** how long a payer takes to enter the password (real ms before timeFactor) */
export const PASSWORD_MS = 4_000;
const CODE_TTL_MS = 120_000;
const PREFIX = { alipay: '28', wxpay: '13' } as const;

export class AuthCodes {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly state: SandboxState, private readonly ledger: Ledger, private readonly timeFactor: number, private readonly now: () => number) {}

  issue(provider: 'alipay' | 'wxpay', opts: { password?: boolean; confirm?: 'pay' | 'never' } = {}): SandboxAuthCode {
    const c: SandboxAuthCode = { code: `${PREFIX[provider]}${randomDigits(16)}`, provider, password: Boolean(opts.password), confirm: opts.confirm ?? 'pay', issued_at: this.now() };
    this.state.data.authCodes[c.code] = c;
    void this.state.save();
    return c;
  }

  /**
   * Takes the code for an order: `invalid` for a code never shown, of the other provider, expired, or already
   * used by another order; the same order again (a retried pay call) gets it back.
   */
  take(provider: 'alipay' | 'wxpay', code: string, outTradeNo: string): SandboxAuthCode | 'invalid' {
    const c = this.state.data.authCodes[code];
    if (!c || c.provider !== provider || this.now() - c.issued_at > CODE_TTL_MS) return 'invalid';
    if (c.used_by && c.used_by !== outTradeNo) return 'invalid';
    c.used_by = outTradeNo;
    void this.state.save();
    return c;
  }

  /** The payer confirms a little later (or never): the order is paid then, unless closed meanwhile. */
  awaitPassword(channel: SandboxChannel, outTradeNo: string, c: SandboxAuthCode): void {
    if (c.confirm !== 'pay') return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.ledger.pay(channel, outTradeNo);
    }, Math.max(1, PASSWORD_MS * this.timeFactor));
    t.unref();
    this.timers.add(t);
  }

  cancelAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
