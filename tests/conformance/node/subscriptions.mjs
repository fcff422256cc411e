// SubscriptionClient steps over the client's own WebSocketTransport: each step subscribes, does
// what makes the venue publish (a trade, an order), and passes on the first event of the right
// shape; then unsubscribes.

import { expect, firstEvent, price } from "./_steps.mjs";

const GROUP = "subscription";

export async function subscriptionSteps(steps, ctx) {
  const { subs, exchange, user } = ctx;
  const step = (name, fn) => steps.run(GROUP, name, fn);
  const btc = ctx.markets.BTC;
  // A small BTC buy that crosses the book: a trade, a fill, a new mid, a new candle.
  const trade = async () => {
    const p = price(btc.mid * 1.02, btc.szDecimals);
    const s = String(Math.ceil((12 / Number(p)) * 10 ** btc.szDecimals) / 10 ** btc.szDecimals);
    await exchange.order({ orders: [{ a: btc.asset, b: true, p, s, r: false, t: { limit: { tif: "Ioc" } } }] });
  };
  // An order that rests, then its cancel: two order updates.
  const restAndCancel = async () => {
    const p = price(btc.mid * 0.5, btc.szDecimals);
    const s = String(Math.ceil((12 / Number(p)) * 10 ** btc.szDecimals) / 10 ** btc.szDecimals);
    const answer = await exchange.order({ orders: [{ a: btc.asset, b: true, p, s, r: false, t: { limit: { tif: "Gtc" } } }] });
    const oid = answer.response.data.statuses[0].resting.oid;
    await exchange.cancel({ cancels: [{ a: btc.asset, o: oid }] });
  };
  const on = (name, subscribe, trigger, check) =>
    step(name, async () => {
      const event = await firstEvent(subscribe, trigger);
      check(event);
    });

  await step("websocket connects", () => ctx.ws.ready());

  // -- market data --
  await on("l2Book", (cb) => subs.l2Book({ coin: "BTC" }, cb), undefined, (book) => {
    expect(book.coin === "BTC" && book.levels[0].length > 0 && book.levels[1].length > 0, "a BTC book");
  });
  await on("trades", (cb) => subs.trades({ coin: "BTC" }, cb), trade, (trades) => {
    expect(trades.length > 0 && trades[0].coin === "BTC" && trades[0].users.length === 2, "BTC trades");
  });
  await on("allMids", (cb) => subs.allMids(cb), undefined, (event) => {
    expect(Number(event.mids.BTC) > 0, "a BTC mid");
  });
  await on("allMids of a HIP-3 dex", (cb) => subs.allMids({ dex: ctx.hip3Dex }, cb), undefined, (event) => {
    expect(Number(event.mids[ctx.hip3Coin]) > 0, `a ${ctx.hip3Coin} mid`);
  });
  await on("bbo", (cb) => subs.bbo({ coin: "BTC" }, cb), trade, (event) => {
    expect(event.coin === "BTC" && event.bbo.length === 2, "a BTC bbo");
  });
  await on("candle", (cb) => subs.candle({ coin: "BTC", interval: "1m" }, cb), trade, (candle) => {
    expect(candle.s === "BTC" && candle.i === "1m" && Number(candle.v) > 0, "a BTC 1m candle");
  });
  await on("activeAssetCtx", (cb) => subs.activeAssetCtx({ coin: "BTC" }, cb), undefined, (event) => {
    expect(event.coin === "BTC" && Number(event.ctx.markPx) > 0, "the BTC ctx");
  });

  // -- the user's own --
  await on("userFills", (cb) => subs.userFills({ user }, cb), trade, (event) => {
    expect(event.user === user && Array.isArray(event.fills), "fills of the user");
  });
  await on("orderUpdates", (cb) => subs.orderUpdates({ user }, cb), restAndCancel, (updates) => {
    expect(updates.length > 0 && typeof updates[0].order.oid === "number" && updates[0].status, "order updates");
  });
  await on("userEvents", (cb) => subs.userEvents({ user }, cb), trade, (event) => {
    expect(typeof event === "object" && event !== null, "a user event");
  });
  await on("clearinghouseState", (cb) => subs.clearinghouseState({ user }, cb), trade, (event) => {
    expect(event.user === user && Number(event.clearinghouseState.marginSummary.accountValue) > 0, "the state");
  });
  await on("openOrders", (cb) => subs.openOrders({ user }, cb), restAndCancel, (event) => {
    expect(event.user === user && Array.isArray(event.orders), "open orders");
  });
  await on("webData3", (cb) => subs.webData3({ user }, cb), undefined, (event) => {
    expect(event.userState.user === user && Array.isArray(event.perpDexStates), "user and dex states");
  });
  await on("activeAssetData", (cb) => subs.activeAssetData({ user, coin: "BTC" }, cb), undefined, (event) => {
    expect(event.coin === "BTC" && event.leverage.value === 5, "BTC at leverage 5");
  });
  await on("userFundings", (cb) => subs.userFundings({ user }, cb), undefined, (event) => {
    expect(event.user === user && Array.isArray(event.fundings), "fundings of the user");
  });
  await on("userNonFundingLedgerUpdates", (cb) => subs.userNonFundingLedgerUpdates({ user }, cb), undefined, (event) => {
    expect(event.user === user && event.nonFundingLedgerUpdates.length > 0, "the ledger");
  });
  await on("userHistoricalOrders", (cb) => subs.userHistoricalOrders({ user }, cb), undefined, (event) => {
    expect(event.user === user && event.orderHistory.length > 0, "the order history");
  });
  await on("spotState", (cb) => subs.spotState({ user }, cb), undefined, (event) => {
    expect(event.user === user && event.spotState.balances.length > 0, "spot balances");
  });
  await on("allDexsClearinghouseState", (cb) => subs.allDexsClearinghouseState({ user }, cb), undefined, (event) => {
    expect(event.user === user && event.clearinghouseStates.length > 1, "a state per dex");
  });
  await on("allDexsAssetCtxs", (cb) => subs.allDexsAssetCtxs(cb), undefined, (event) => {
    expect(event.ctxs.length > 1, "ctxs per dex");
  });
}
