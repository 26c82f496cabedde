"""Departments and bodies that provide services on the platform.

Codes are stable ASCII slugs (mostly pinyin initials); several are relied on elsewhere ("xzsp",
"gaj", "gjj", "bdc", the utility units of the house-transfer bundle, …), so never rename one.
"""

from __future__ import annotations

from app.services.catalog.data.seeds import DepartmentSeed

_D = DepartmentSeed

DEPARTMENTS: tuple[DepartmentSeed, ...] = (
    # Municipal government departments and directly affiliated bodies
    _D("xzsp", "青岛市行政审批服务局", "Qingdao Administrative Approval Service Bureau"),
    _D("gaj", "青岛市公安局", "Qingdao Municipal Public Security Bureau"),
    _D(
        "jj",
        "青岛市公安局交通警察支队",
        "Traffic Police Detachment of Qingdao Public Security Bureau",
    ),
    _D("mzj", "青岛市民政局", "Qingdao Civil Affairs Bureau"),
    _D("rsj", "青岛市人力资源和社会保障局", "Qingdao Human Resources and Social Security Bureau"),
    _D("sbzx", "青岛市社会保险事业中心", "Qingdao Social Insurance Service Center"),
    _D(
        "jyrc",
        "青岛市公共就业和人才服务中心",
        "Qingdao Public Employment and Talent Service Center",
    ),
    _D(
        "tax",
        "国家税务总局青岛市税务局",
        "Qingdao Municipal Tax Service, State Taxation Administration",
        "vertical",
    ),
    _D("ybj", "青岛市医疗保障局", "Qingdao Healthcare Security Administration"),
    _D("bdc", "青岛市不动产登记中心", "Qingdao Real Estate Registration Center"),
    _D("zrzy", "青岛市自然资源和规划局", "Qingdao Natural Resources and Planning Bureau"),
    _D("gjj", "青岛市住房公积金管理中心", "Qingdao Housing Provident Fund Management Center"),
    _D("scjg", "青岛市市场监督管理局", "Qingdao Administration for Market Regulation"),
    _D("jyj", "青岛市教育局", "Qingdao Education Bureau"),
    _D("wjw", "青岛市卫生健康委员会", "Qingdao Health Commission"),
    _D("cdc", "青岛市疾病预防控制中心", "Qingdao Center for Disease Control and Prevention"),
    _D("xz", "青岛市中心血站", "Qingdao Central Blood Station"),
    _D("sfj", "青岛市司法局", "Qingdao Justice Bureau"),
    _D("jtj", "青岛市交通运输局", "Qingdao Transportation Bureau"),
    _D("fgw", "青岛市发展和改革委员会", "Qingdao Development and Reform Commission"),
    _D("gxj", "青岛市工业和信息化局", "Qingdao Bureau of Industry and Information Technology"),
    _D("kjj", "青岛市科学技术局", "Qingdao Science and Technology Bureau"),
    _D("czj", "青岛市财政局", "Qingdao Finance Bureau"),
    _D("sthj", "青岛市生态环境局", "Qingdao Ecology and Environment Bureau"),
    _D("zjj", "青岛市住房和城乡建设局", "Qingdao Housing and Urban-Rural Development Bureau"),
    _D("cgj", "青岛市城市管理局", "Qingdao Urban Management Bureau"),
    _D("swglj", "青岛市水务管理局", "Qingdao Water Affairs Bureau"),
    _D("nyj", "青岛市农业农村局", "Qingdao Agriculture and Rural Affairs Bureau"),
    _D("hyj", "青岛市海洋发展局", "Qingdao Ocean Development Bureau"),
    _D("swj", "青岛市商务局", "Qingdao Commerce Bureau"),
    _D("whlyj", "青岛市文化和旅游局", "Qingdao Culture and Tourism Bureau"),
    _D("tyjr", "青岛市退役军人事务局", "Qingdao Veterans Affairs Bureau"),
    _D("yjj", "青岛市应急管理局", "Qingdao Emergency Management Bureau"),
    _D("sjj", "青岛市审计局", "Qingdao Audit Bureau"),
    _D(
        "gzw",
        "青岛市人民政府国有资产监督管理委员会",
        "State-owned Assets Supervision and Administration Commission of Qingdao",
    ),
    _D("tjj", "青岛市统计局", "Qingdao Statistics Bureau"),
    _D("tyj", "青岛市体育局", "Qingdao Sports Bureau"),
    _D("jrj", "青岛市地方金融监督管理局", "Qingdao Local Financial Supervision and Administration"),
    _D("dsj", "青岛市大数据发展管理局", "Qingdao Big Data Development Administration"),
    _D("yllyj", "青岛市园林和林业局", "Qingdao Landscape and Forestry Bureau"),
    _D("rfb", "青岛市人民防空办公室", "Qingdao Civil Air Defense Office"),
    _D("mzw", "青岛市民族宗教事务委员会", "Qingdao Ethnic and Religious Affairs Commission"),
    _D("myj", "青岛市民营经济发展局", "Qingdao Private Economy Development Bureau"),
    _D("wsb", "青岛市人民政府外事办公室", "Foreign Affairs Office of Qingdao Municipal Government"),
    _D("xfj", "青岛市信访局", "Qingdao Bureau of Letters and Calls"),
    _D("jgsw", "青岛市机关事务管理局", "Qingdao Government Offices Administration"),
    _D("ggzy", "青岛市公共资源交易中心", "Qingdao Public Resources Trading Center"),
    _D("dag", "青岛市档案馆", "Qingdao Municipal Archives"),
    # People's organisations
    _D("cdpf", "青岛市残疾人联合会", "Qingdao Disabled Persons' Federation"),
    _D("zgh", "青岛市总工会", "Qingdao Federation of Trade Unions"),
    _D("fl", "青岛市妇女联合会", "Qingdao Women's Federation"),
    _D("hsh", "青岛市红十字会", "Red Cross Society of Qingdao"),
    _D("gqt", "共青团青岛市委员会", "Qingdao Committee of the Communist Youth League"),
    _D("kx", "青岛市科学技术协会", "Qingdao Association for Science and Technology"),
    _D("ql", "青岛市归国华侨联合会", "Qingdao Federation of Returned Overseas Chinese"),
    _D("gsl", "青岛市工商业联合会", "Qingdao Federation of Industry and Commerce"),
    # Vertically managed bodies
    _D("qxj", "青岛市气象局", "Qingdao Meteorological Bureau", "vertical"),
    _D("yc", "青岛市烟草专卖局", "Qingdao Tobacco Monopoly Bureau", "vertical"),
    _D("xf", "青岛市消防救援支队", "Qingdao Fire and Rescue Detachment", "vertical"),
    _D("hg", "中华人民共和国青岛海关", "Qingdao Customs District of the P.R. China", "vertical"),
    _D("yzj", "青岛市邮政管理局", "Qingdao Postal Administration", "vertical"),
    _D("msa", "中华人民共和国青岛海事局", "Qingdao Maritime Safety Administration", "vertical"),
    _D("pbc", "中国人民银行青岛市分行", "Qingdao Branch of the People's Bank of China", "vertical"),
    _D(
        "nfra",
        "国家金融监督管理总局青岛监管局",
        "Qingdao Office of the National Financial Regulatory Administration",
        "vertical",
    ),
    # Judicial and arbitration bodies
    _D("court", "青岛市中级人民法院", "Qingdao Intermediate People's Court", "judicial"),
    _D("hsfy", "青岛海事法院", "Qingdao Maritime Court", "judicial"),
    _D("jcy", "青岛市人民检察院", "Qingdao Municipal People's Procuratorate", "judicial"),
    _D("zcw", "青岛仲裁委员会", "Qingdao Arbitration Commission", "judicial"),
    # Public utilities (the house-transfer bundle relies on these codes)
    _D("water", "青岛海润自来水集团有限公司", "Qingdao Hairun Water Supply Group", "utility"),
    _D(
        "power",
        "国网山东省电力公司青岛供电公司",
        "State Grid Qingdao Power Supply Company",
        "utility",
    ),
    _D("heat", "青岛能源集团有限公司", "Qingdao Energy Group (District Heating)", "utility"),
    _D(
        "gas", "青岛能源华润燃气有限公司", "Qingdao Energy China Resources Gas Co., Ltd.", "utility"
    ),
    _D(
        "catv",
        "山东广电网络有限公司青岛分公司",
        "Shandong Broadcast Network Qingdao Branch (Cable TV)",
        "utility",
    ),
    _D(
        "broadband",
        "中国联合网络通信有限公司青岛市分公司",
        "China Unicom Qingdao Branch",
        "utility",
    ),
    _D("telecom", "中国电信股份有限公司青岛分公司", "China Telecom Qingdao Branch", "utility"),
    _D(
        "citycard",
        "青岛市琴岛通卡股份有限公司",
        "Qingdao Qindaotong City Card Co., Ltd.",
        "utility",
    ),
)
