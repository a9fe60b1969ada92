"""The web desk's words in Chinese (the default) and English.

Message ids are English, as in the clinic app. A page asks ``Translator(language)``; Chinese comes
from ``ZH`` below (the desk's own words) or else from the clinic app's gettext catalogue
(``clinic_tui/locale``: referral statuses, slip labels, code sets), so a label reads the same on the
clinic's slip and on the hospital's screen. tests/hub/test_web_i18n.py checks that every string
marked ``_("...")`` in the templates and in clinic_hub/web is translated one way or the other.
Nothing here is global: two requests in two languages never mix.
"""

from __future__ import annotations

from clinic_tui.i18n import translations

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


def N_(message: str) -> str:
    """Mark a module-level string for translation where it is shown."""
    return message


ZH: dict[str, str] = {
    # the frame and sign-in
    "Referral desk": "转诊工作台",
    "Skip to content": "跳到正文",
    "Main": "主菜单",
    "Referral queue": "转诊队列",
    "Sign out": "退出登录",
    "Sign in": "登录",
    "Sign in to the referral desk": "登录转诊工作台",
    "Login name": "登录名",
    "Password": "密码",
    "Accounts and passwords are set by the hub's administrator (clinic-hub staff set-password).": "账号和密码由平台管理员设置（clinic-hub staff set-password）。",
    "Continue": "继续",
    "Please sign in": "请登录",
    "Your session has ended. Sign in again.": "登录已失效，请重新登录。",
    "Not allowed": "无权操作",
    "Not found": "未找到",
    "You have signed out.": "已退出登录。",
    "Wrong login name or password.": "登录名或密码错误。",
    "Too many wrong passwords: this login is locked until {time}.": "密码错误次数过多，该账号已锁定至 {time}。",
    "Your role may not open this page.": "您的角色无权打开此页面。",
    "This form has expired or did not come from the desk. Open the page again and retry.": "表单已失效或并非来自工作台，请重新打开页面后再试。",
    # roles
    "Referral office": "转诊办",
    "Department doctor": "科室医生",
    "Indicators reader": "指标查看",
    # the queue
    "Incoming upward referrals": "上转转诊申请",
    "Awaiting answer": "待接收",
    "Awaiting arrival": "待到诊",
    "All": "全部",
    "Green channel first, then urgent, then by waiting time. Open a referral with its number.": "急诊（绿色通道）优先，其次紧急，再按等待时间排序。点击转诊单号打开。",
    "Clinic": "转出机构",
    "Department wished": "申请科室",
    "Sent at": "提交时间",
    "Waiting": "已等待",
    "Appointment": "预约",
    "No referrals here.": "暂无转诊单。",
    "Pages": "分页",
    "Page {page}": "第 {page} 页",
    "{days} d {hours} h": "{days}天{hours}小时",
    "{hours} h {minutes} min": "{hours}小时{minutes}分钟",
    "{minutes} min": "{minutes}分钟",
    # one referral
    "Referral slip": "转诊单",
    "Recent follow-ups of this resident": "该居民近期随访",
    "The hub holds no follow-ups of this resident.": "平台上暂无该居民的随访记录。",
    "Classification": "随访分类",
    "Next follow-up": "下次随访",
    "History": "处理记录",
    "From": "原状态",
    "To": "新状态",
    "By": "操作方",
    "Reason or note": "原因或说明",
    "Cancellation": "撤销",
    "Answer": "答复",
    "Accept and book": "接收并预约",
    "Doctor (optional)": "医生（可不填）",
    "Book over the reserved quota if none is left (green channel)": "预留号源用完时超额预约（绿色通道）",
    "Reason for booking over the quota": "超额预约理由",
    "Accept and book a reserved slot": "接收并预约基层预留号",
    "Reserved primary-care slots left": "基层预留号源剩余（剩余/预留）",
    "Reject": "拒绝",
    "Reason (the clinic sees it)": "拒绝原因（转出机构可见）",
    "Reject the referral": "拒绝转诊",
    "The patient": "患者到诊",
    "Note (optional)": "说明（可不填）",
    "Mark arrived": "登记已到诊",
    "Mark not arrived": "登记未到诊",
    "Mark completed": "登记已完成",
    "Send down to the clinic": "下转回基层",
    "Discharge diagnoses (one a line: ICD-10 code and name)": "出院诊断（每行一条：ICD-10 编码 名称）",
    "Follow-up schedule (one a line: days, then what)": "随访安排（每行一条：天数 内容）",
    "Send the downward referral": "发送下转单",
    "Sent down": "已下转",
    "Nothing to do on this referral now.": "该转诊单目前无需处理。",
    "No referral with the number {number}.": "未找到转诊单 {number}。",
    "This referral is booked into another department.": "该转诊预约在其他科室。",
    "booked into {department}": "预约至{department}",
    # the administrator's pages
    "Clinics": "机构",
    "Clinics that have not pushed for {days} days or more are marked. Tokens are issued with clinic-hub add-clinic and rotate-token.": "超过 {days} 天未上传数据的机构标为红色。令牌用 clinic-hub add-clinic 和 rotate-token 签发。",
    "Code": "编码",
    "Clinic name": "机构名称",
    "Token": "令牌",
    "Last push": "最近上传",
    "Records held": "平台已存记录",
    "live": "有效",
    "revoked": "已吊销",
    "never": "从未",
    "{days} days ago": "{days} 天前",
    "Audit log": "审计日志",
    "Who (staff id or clinic code)": "操作者（员工编号或机构编码）",
    "Action (beginning)": "操作（开头）",
    "Filter": "筛选",
    "Who": "操作者",
    "Action": "操作",
    "Records": "记录",
    # the county's indicators
    "Indicators": "指标",
    "County indicators of {month}": "{month} 全县指标",
    "Month": "月份",
    "Show": "查看",
    "Export": "导出",
    "Referrals by their referral date in the month (drafts left out); contracts and coverage as the hub holds them now. Target for key populations: {target}% (the red line).": "转诊按转诊日期计入当月（不含草稿）；签约和覆盖率按平台当前数据计算。重点人群签约覆盖目标：{target}%（红线）。",
    "By clinic": "按机构",
    "Rate": "比率",
    "Chart": "图示",
    "Total": "合计",
    "Referral rates": "转诊指标",
    "Accepted by the hospital": "上转接收率",
    "Effective referral rate (the patient arrived)": "有效转诊率（患者到诊）",
    "Answered within 24 h": "24小时内答复率",
    "Downward share of all referrals": "下转占比",
    "Family doctor contracts": "家庭医生签约覆盖率",
    "Contracts signed in the month": "本月新签约",
    "{department}: over the quota": "{department}：超额预约",
    "County": "全县",
    "Lead hospital": "牵头医院",
    "Reserved primary-care slots used": "基层预留号源使用率",
    "Scope": "范围",
    "Rate (%)": "比率（%）",
    "No clinics yet.": "暂无机构。",
    "Not a month": "月份有误",
    "The month must be written YYYY-MM, for example {example}.": "月份须写成 YYYY-MM，例如 {example}。",
    # answers
    "Accepted: the appointment is booked. The clinic sees it after its next sync.": "已接收并预约。转出机构下次同步后即可看到。",
    "Rejected. The clinic sees the reason after its next sync.": "已拒绝。转出机构下次同步后可看到拒绝原因。",
    "Marked arrived.": "已登记到诊。",
    "Marked as not arrived.": "已登记未到诊。",
    "Referral completed.": "转诊已完成。",
    "Downward referral {number} sent: the clinic receives it at its next sync.": "下转单 {number} 已发出，转入机构下次同步后收到。",
    "Give the appointment's date and time.": "请填写预约日期和时间。",
    "Booking over the quota needs a reason.": "超额预约须填写理由。",
    "Choose a department.": "请选择科室。",
    "Over quota: {reason}": "超额预约：{reason}",
    "Write each follow-up as the number of days, a space, and what to do.": "随访安排每行写：天数、空格、随访内容。",
    "A downward referral needs the discharge diagnosis and the treatment plan.": "下转单须填写出院诊断和治疗方案。",
    # remote consultations and reads (clinic_hub/web/remote.py)
    "Remote requests": "远程会诊与诊断",
    "Remote consultations and reads": "远程会诊与远程诊断",
    "Rooms": "诊断中心",
    "Awaiting acceptance": "待接收",
    "Critical values the clinic has not acknowledged": "机构尚未确认的危急值",
    "Urgent first, then the oldest. Overdue: not accepted in time. Open a request with its number.": "紧急优先，再按申请时间先后排序。超时：未在时限内接收。点击申请号打开。",
    "Request number": "申请号",
    "Service": "服务",
    "Requested at": "申请时间",
    "Critical value": "危急值",
    "No requests here.": "暂无申请。",
    "Scheduled for": "预约时间",
    "Deleted by the clinic": "申请机构已删除",
    "The request": "申请单",
    "Report": "报告",
    "Findings": "所见",
    "Conclusion": "结论",
    "Advice": "建议",
    "Reporting doctor": "报告医生",
    "Reviewing doctor": "审核医生",
    "Signed at": "签发时间",
    "acknowledged by {who} at {time}": "已由{who}于{time}确认",
    "not yet acknowledged by the clinic": "机构尚未确认",
    "Service item": "收费项目",
    "yuan": "元",
    "Read by the clinic": "机构已阅",
    "Accept": "接收",
    "Accept the request": "接收申请",
    "Write the report": "书写报告",
    "Reviewing doctor (optional)": "审核医生（可选）",
    "Critical value (危急值): the clinic must acknowledge it": "危急值：须由申请机构确认",
    "What the critical value is": "危急值内容",
    "Service item code": "收费项目编码",
    "Signed as {name}.": "以{name}的名义签发。",
    "Sign the report": "签发报告",
    "Accept the request first, then write its report.": "请先接收申请，再书写报告。",
    "Schedule the video consultation": "安排视频会诊",
    "Expert": "会诊专家",
    "Schedule": "安排",
    "Return to the clinic": "退回申请机构",
    "Return the request": "退回申请",
    "Nothing to do on this request now.": "该申请当前无需处理。",
    "Accepted. The clinic sees it after its next sync.": "已接收。申请机构下次同步后即可看到。",
    "Returned. The clinic sees the reason after its next sync.": "已退回。申请机构下次同步后可看到退回原因。",
    "Scheduled. The clinic sees the time after its next sync.": "已安排。申请机构下次同步后可看到会诊时间。",
    "Report signed. The clinic receives it at its next sync.": "报告已签发，申请机构下次同步后收到。",
    "Someone else answered this request meanwhile: it is now “{state}”. Check it below.": "该申请已由他人处理，当前状态为“{state}”，请查看下方内容。",
    "No remote request with the number {number}.": "未找到申请号为 {number} 的远程申请。",
    "Give the consultation's date and time.": "请填写会诊日期和时间。",
    "Name the expert who holds the consultation.": "请填写会诊专家。",
    "A report needs its findings and its conclusion.": "报告须填写所见和结论。",
    "Say what the critical value is.": "请填写危急值内容。",
    "Consultation centre": "会诊中心",
    "ECG room": "心电诊断中心",
    "Imaging room": "影像诊断中心",
    "Pathology": "病理诊断中心",
    "Accepted, to report": "已接收待报告",
    "Returned or withdrawn": "已退回或撤销",
    "The patient agreed": "患者已同意",
    "Not recorded": "未记录",
    "What is asked": "申请内容",
    "Question": "会诊/诊断目的",
    "Requesting doctor": "申请医生",
    "Expert wished": "希望的专家",
    "Time wished": "希望的时间",
    "Made from": "来源",
    "Clinical summary": "病情摘要",
    "Examination findings": "体格检查及辅助检查",
    "Remote reads: turnaround (requested to reported)": "远程诊断周转时间（申请至报告）",
    "Room": "诊断中心",
    "Reported in the month": "本月报告数",
    "Median time": "中位时间",
}


def chinese(msgid: str) -> str | None:
    """The Chinese of ``msgid``, or None when neither table has it."""
    if msgid in ZH:
        return ZH[msgid]
    text = translations("zh").gettext(msgid)
    return text if text != msgid else None


class Translator:
    def __init__(self, language: str):
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, msgid: str, **params) -> str:
        text = msgid if self.language == "en" else (chinese(msgid) or msgid)
        return text.format(**params) if params else text
