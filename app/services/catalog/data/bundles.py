"""Bundled services (一件事一次办): several services filed together with one form."""

from __future__ import annotations

from app.services.catalog.data.seeds import BundleSeed, BundleStepSeed

HOUSE_TRANSFER_BUNDLE = BundleSeed(
    code="bundle.house-transfer",
    name="二手房转移登记+水电气暖等联动过户（一件事一次办）",
    name_en="Second-hand home transfer with linked utility transfers (one-stop)",
    steps=(
        BundleStepSeed("bdc.transfer.second-hand", "青岛市不动产登记中心"),
        BundleStepSeed("water.transfer", "海润自来水集团"),
        BundleStepSeed("power.transfer", "国网青岛供电公司"),
        BundleStepSeed("citycard.transfer", "琴岛通卡公司"),
        BundleStepSeed("heat.transfer", "青岛能源集团热力公司"),
        BundleStepSeed("gas.transfer", "青岛能源华润燃气"),
        BundleStepSeed("catv.transfer", "山东广电网络青岛分公司"),
        BundleStepSeed("broadband.transfer", "中国联通青岛分公司"),
    ),
    description="买卖双方在不动产登记窗口或网上一次提交，登记完成后凭电子不动产权证书"
    "自动推送供水、供电、琴岛通、供热、燃气、有线电视和宽带过户，无需再跑各营业厅。",
)

BUNDLES: tuple[BundleSeed, ...] = (HOUSE_TRANSFER_BUNDLE,)
