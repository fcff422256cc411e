"""@nktkas/hyperliquid 0.33.3 (TypeScript), unchanged, through every step a user takes.

The client runs in node (tests/conformance/node: run.mjs and the step scripts it imports), pointed
at a simulator on loopback with the funded key; it prints every step's outcome as JSON. Each step
is then one test here, so a failure names the step and carries the client's own error.

Needs ``node`` and ``npm`` (``npm ci`` installs the pinned client on first use; the npm registry is
reachable in CI); skipped, saying so, when either is absent. Node 20 runs with
``--experimental-websocket`` for its global WebSocket (node >= 22 has it always).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.conftest import ConformanceVenue

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(
        shutil.which("node") is None or shutil.which("npm") is None,
        reason="node and npm are needed to run @nktkas/hyperliquid (not found on PATH)",
    ),
]

NODE_DIR = Path(__file__).parent / "node"

# Every step the scripts take, in their order: (group, step name).
STEPS: tuple[tuple[str, str], ...] = (
    ("info", "meta"),
    ("info", "perpDexs"),
    ("info", "meta of a HIP-3 dex"),
    ("info", "spotMeta"),
    ("info", "metaAndAssetCtxs"),
    ("info", "spotMetaAndAssetCtxs"),
    ("info", "allMids"),
    ("info", "allMids of a HIP-3 dex"),
    ("info", "l2Book"),
    ("info", "l2Book with nSigFigs"),
    ("info", "exchangeStatus"),
    ("info", "predictedFundings"),
    ("info", "perpsAtOpenInterestCap"),
    ("info", "allPerpMetas"),
    ("info", "perpDexLimits"),
    ("exchange", "order: limit Gtc rests"),
    ("exchange", "order: limit with a cloid rests"),
    ("exchange", "order: Alo rests"),
    ("exchange", "order: Ioc crossing fills"),
    ("exchange", "order: market (FrontendMarket) fills"),
    ("exchange", "order: stop-loss trigger rests"),
    ("exchange", "order: normalTpsl parent with tp and sl"),
    ("exchange", "order on a HIP-3 dex fills"),
    ("exchange", "order: spot buy fills"),
    ("exchange", "modify"),
    ("exchange", "batchModify"),
    ("exchange", "cancel"),
    ("exchange", "cancelByCloid"),
    ("exchange", "scheduleCancel set"),
    ("exchange", "scheduleCancel unset"),
    ("exchange", "updateLeverage cross"),
    ("exchange", "updateLeverage isolated"),
    ("exchange", "updateIsolatedMargin"),
    ("exchange", "usdSend"),
    ("exchange", "usdClassTransfer perp to spot"),
    ("exchange", "usdClassTransfer spot to perp"),
    ("exchange", "spotSend"),
    ("exchange", "sendAsset to a HIP-3 dex"),
    ("exchange", "withdraw3"),
    ("exchange", "createSubAccount"),
    ("exchange", "subAccountTransfer"),
    ("exchange", "subAccountSpotTransfer"),
    ("exchange", "setReferrer"),
    ("exchange", "userSetAbstraction"),
    ("exchange", "agentSetAbstraction"),
    ("exchange", "agentEnableDexAbstraction"),
    ("exchange", "userDexAbstraction"),
    ("exchange", "approveAgent"),
    ("exchange", "order signed by the agent"),
    ("exchange", "approveBuilderFee"),
    ("exchange", "order with a builder fee"),
    ("exchange", "order posted over the websocket"),
    ("exchange", "info posted over the websocket"),
    ("info", "clearinghouseState"),
    ("info", "clearinghouseState of a HIP-3 dex"),
    ("info", "spotClearinghouseState"),
    ("info", "openOrders"),
    ("info", "frontendOpenOrders"),
    ("info", "userFills"),
    ("info", "userFills aggregated by time"),
    ("info", "userFillsByTime"),
    ("info", "orderStatus by oid"),
    ("info", "orderStatus by cloid"),
    ("info", "orderStatus of an unknown oid"),
    ("info", "historicalOrders"),
    ("info", "userFees"),
    ("info", "userRateLimit"),
    ("info", "userRole"),
    ("info", "userRole of an agent"),
    ("info", "extraAgents"),
    ("info", "subAccounts"),
    ("info", "maxBuilderFee"),
    ("info", "activeAssetData"),
    ("info", "fundingHistory"),
    ("info", "userFunding"),
    ("info", "userNonFundingLedgerUpdates"),
    ("info", "recentTrades"),
    ("info", "candleSnapshot"),
    ("info", "referral"),
    ("info", "userAbstraction"),
    ("subscription", "websocket connects"),
    ("subscription", "l2Book"),
    ("subscription", "trades"),
    ("subscription", "allMids"),
    ("subscription", "allMids of a HIP-3 dex"),
    ("subscription", "bbo"),
    ("subscription", "candle"),
    ("subscription", "activeAssetCtx"),
    ("subscription", "userFills"),
    ("subscription", "orderUpdates"),
    ("subscription", "userEvents"),
    ("subscription", "clearinghouseState"),
    ("subscription", "openOrders"),
    ("subscription", "webData3"),
    ("subscription", "activeAssetData"),
    ("subscription", "userFundings"),
    ("subscription", "userNonFundingLedgerUpdates"),
    ("subscription", "userHistoricalOrders"),
    ("subscription", "spotState"),
    ("subscription", "allDexsClearinghouseState"),
    ("subscription", "allDexsAssetCtxs"),
)


def _node_command() -> list[str]:
    version = subprocess.run(
        ["node", "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    major = int(version.lstrip("v").split(".")[0])
    flags = ["--experimental-websocket"] if major < 22 else []
    return ["node", *flags, "run.mjs"]


@pytest.fixture(scope="module")
def outcomes(venue: ConformanceVenue) -> dict[tuple[str, str], dict[str, Any]]:
    """Run the scripts once against the module's simulator: every step's outcome by name."""
    if not (NODE_DIR / "node_modules" / "@nktkas" / "hyperliquid").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=600
        )
    env = {
        **os.environ,
        "HIP3_HTTP_URL": venue.http_url,
        "HIP3_WS_URL": venue.ws_url,
        "HIP3_KEY": venue.key,
    }
    done = subprocess.run(
        _node_command(), cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"the node scripts failed to run:\n{done.stderr}"
    report = json.loads(done.stdout)
    assert report["client"] == "@nktkas/hyperliquid"
    return {(step["group"], step["name"]): step for step in report["steps"]}


def test_the_scripts_take_exactly_the_listed_steps(
    outcomes: dict[tuple[str, str], dict[str, Any]],
) -> None:
    assert list(outcomes) == list(STEPS)


@pytest.mark.parametrize(("group", "name"), STEPS, ids=[f"{g}:{n}" for g, n in STEPS])
def test_step(outcomes: dict[tuple[str, str], dict[str, Any]], group: str, name: str) -> None:
    outcome = outcomes.get((group, name))
    assert outcome is not None, f"the scripts never ran step {group}:{name}"
    assert outcome["ok"], f"{group}:{name} failed: {outcome['error']}"
