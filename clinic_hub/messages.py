"""Readable messages for machine codes, in Chinese (default) and English.

Answers carry both: ``code`` for programs, ``message`` for people, in the language the request's
Accept-Language prefers. Keep each message short and say what to do.
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "invalid_record": "记录格式不正确：{detail}",
        "unknown_kind": "枢纽不接收此类记录：{record_kind}",
        "foreign_record": "该记录属于其他机构或属于医院，不能修改",
        "kind_mismatch": "该编号已用于另一类记录（{record_kind}）",
        "missing_field": "缺少必填字段：{field}",
        "invalid_value": "字段取值无效：{field}",
        "direction_not_allowed": "机构只能推送上转转诊单",
        "status_not_clinic_owned": "状态“{status}”只能由医院设置",
        "duplicate_referral_no": "转诊单号 {referral_no} 已被另一张转诊单使用",
        "foreign_referral_no": "转诊单号 {referral_no} 不是本机构的编号：应以“{prefix}”开头",
        "hospital_decision_stands": "医院已处理该转诊（{status}），以医院的决定为准；本机修改已保存但未改变转诊状态",
        "illegal_transition": "不允许的状态变更：{from_status} → {to_status}",
        "storage_error": "保存失败，请稍后重新推送",
        "secret_field": "用户记录不能包含 PIN 或密码，请去掉后再推送",
        "body_too_large": "请求体过大（上限 {limit} 字节），请减小每批记录数",
        "too_many_records": "每批最多 {limit} 条记录，本批 {count} 条",
        "bad_gzip": "gzip 压缩数据无法解压",
        "bad_json": "请求体不是有效的 JSON",
        "unsupported_encoding": "不支持的 Content-Encoding：{encoding}",
        "invalid_request": "请求内容不正确",
        "bad_cursor": "游标无效，请从头拉取（不带 cursor）",
        "unauthorized": "缺少或无效的访问令牌",
        "forbidden": "此令牌无权访问该功能",
        "not_found": "未找到",
        "method_not_allowed": "不支持的请求方法",
        "referral_not_found": "未找到转诊单 {referral_no}",
        "referral_deleted": "转诊单 {referral_no} 已被转出机构删除",
        "clinic_not_found": "未找到机构 {clinic}",
        "unknown_department": "未找到科室 {department}",
        "no_slots_left": "{department} 在 {day} 的基层预留号源已用完（如属急诊绿色通道，可允许超额）",
        "no_beds_left": "{department} 在 {day} 的基层预留床位已用完（如确需收治，可填写原因后超额预约）",
        "reason_required": "请填写原因",
        "duplicate_request_no": "远程申请号 {request_no} 已被另一份申请使用",
        "remote_not_found": "未找到远程申请 {request_no}",
        "duplicate_order_no": "检验单号 {order_no} 已被另一张检验单使用",
        "lab_not_found": "未找到检验单 {order_no}；结果只能录入到检验台上已有的检验单",
        "lab_deleted": "检验单 {order_no} 已被开单机构删除",
        "lab_cancelled": "检验单 {order_no} 已被开单机构撤销，结果不能录入；请在“异常”列表中处理",
        "lab_taken": "检验单 {order_no} 已被他人处理（当前状态：{state}），请刷新后查看",
        "result_not_ordered": "检验单未开此项目：{test}",
        "results_incomplete": "以下项目还没有结果：{codes}",
        "result_flag_required": "非数值结果请选择标志：{test}",
        "result_already_reported": "{test} 已有结果；如需修改请更正报告",
        "import_too_large": "文件过大（上限 {limit} 字节），请分批导出",
        "import_too_many_rows": "行数过多（上限 {limit} 行），请分批导出",
        "import_encoding": "文件编码无法识别：请以 UTF-8 或 GBK/GB18030 导出",
        "import_not_csv": "不是 CSV 文件",
        "import_empty": "文件为空",
        "import_column_unknown": "无法识别的列：{columns}",
        "import_column_missing": "缺少必需的列：{columns}",
        "import_not_found": "未找到该导入批次",
        "import_committed": "该批次已导入，不能重复导入",
        "import_no_file": "请选择要上传的 CSV 文件",
        "row_order_missing": "缺少检验单号或条码",
        "row_unknown_item": "检验目录中没有此项目",
        "row_bad_value": "结果为空或过长",
        "row_bad_flag": "标志无法识别（N、H、L、危急）",
        "row_unit_mismatch": "单位与检验目录不符",
        "row_bad_range": "参考范围无法识别",
        "row_flag_required": "文字结果须填写标志",
        "row_bad_time": "报告时间无法识别",
        "row_not_ordered": "该检验单未开此项目",
        "row_not_received": "标本尚未接收（或已拒收）",
        "row_already_reported": "该项目已有结果；如需修改请更正报告",
        "row_duplicate": "同一检验单的此项目在文件中重复",
        "order_unknown": "枢纽中没有此检验单：转入异常列表",
        "order_cancelled": "检验单已撤销：转入异常列表",
        "result_not_reported": "{test} 还没有结果，无法更正",
        "correction_unchanged": "{test} 的更正与原结果相同",
        "remote_deleted": "远程申请 {request_no} 已被申请机构删除",
        "remote_taken": "远程申请 {request_no} 已被他人处理（当前状态：{state}），请刷新后查看",
        "not_video": "只有视频会诊需要预约时间",
        "bad_fee": "费用应为以元计的金额，例如 30.00",
        "bad_month": "月份格式应为 YYYY-MM",
        "attachment_not_declared": "未声明该附件，请先声明其大小和类型",
        "attachment_not_found": "未找到该附件",
        "attachment_type_not_allowed": "附件类型不允许：只接收 PDF、JPEG、PNG",
        "attachment_type_mismatch": "附件内容与声明的类型不符（按文件开头的字节判断）",
        "attachment_too_large": "附件过大（上限 {limit} 字节）",
        "attachment_empty": "附件为空",
        "attachment_declared_otherwise": "该附件已按其他大小或类型声明过",
        "chunk_out_of_range": "分块序号超出范围（共 {total} 块）",
        "chunk_wrong_size": "分块 {index} 应为 {expected} 字节",
        "attachment_hash_mismatch": "附件拼合后的 SHA-256 与其名称不符，已丢弃收到的分块，请重新上传",
        "attachments_incomplete": "附件尚未传完（已收到 {received}/{total} 块），传完后才能出报告",
        "conflict": "请求与当前状态冲突",
        "internal_error": "服务器内部错误",
    },
    "en": {
        "invalid_record": "The record is malformed: {detail}",
        "unknown_kind": "The hub does not accept records of kind {record_kind}",
        "foreign_record": "This record belongs to another clinic or to the hospital and cannot be changed",
        "kind_mismatch": "This id is already used by a record of another kind ({record_kind})",
        "missing_field": "Required field missing: {field}",
        "invalid_value": "Invalid value for field {field}",
        "direction_not_allowed": "Clinics can only push upward referrals",
        "status_not_clinic_owned": "Only the hospital can set the status {status}",
        "duplicate_referral_no": "Referral number {referral_no} is already used by another referral",
        "foreign_referral_no": "Referral number {referral_no} is not this clinic's: it must start with {prefix}",
        "hospital_decision_stands": "The hospital has already answered this referral ({status}); its decision stands. Your change was stored but did not change the referral's status",
        "illegal_transition": "Status change not allowed: {from_status} -> {to_status}",
        "storage_error": "Could not store the record; push it again later",
        "secret_field": "User records must not carry a PIN or password; remove it and push again",
        "body_too_large": "Request body too large (limit {limit} bytes); send fewer records per batch",
        "too_many_records": "At most {limit} records per batch; this one has {count}",
        "bad_gzip": "The gzip body cannot be decompressed",
        "bad_json": "The request body is not valid JSON",
        "unsupported_encoding": "Unsupported Content-Encoding: {encoding}",
        "invalid_request": "The request is invalid",
        "bad_cursor": "Invalid cursor; pull from the start (without a cursor)",
        "unauthorized": "Missing or invalid access token",
        "forbidden": "This token may not use this function",
        "not_found": "Not found",
        "method_not_allowed": "Method not allowed",
        "referral_not_found": "Referral {referral_no} not found",
        "referral_deleted": "Referral {referral_no} was deleted by the clinic that sent it",
        "clinic_not_found": "Clinic {clinic} not found",
        "unknown_department": "Department {department} not found",
        "no_slots_left": "No primary-care slots left for {department} on {day} (allow over-quota for the green channel)",
        "no_beds_left": "No primary-care beds left for {department} on {day} (book over the quota with a reason if the patient must be admitted)",
        "reason_required": "A reason is required",
        "duplicate_request_no": "Request number {request_no} is already used by another remote request",
        "remote_not_found": "Remote request {request_no} not found",
        "duplicate_order_no": "Order number {order_no} is already used by another lab order",
        "lab_not_found": "Lab order {order_no} not found; results are entered only against orders on the lab desk",
        "lab_deleted": "Lab order {order_no} was deleted by the clinic that sent it",
        "lab_cancelled": "Lab order {order_no} was cancelled by its clinic: no results can be entered; see the exceptions list",
        "lab_taken": "Lab order {order_no} was handled by someone else meanwhile (now {state}); reload it",
        "result_not_ordered": "This test was not ordered: {test}",
        "results_incomplete": "No result yet for: {codes}",
        "result_flag_required": "Choose a flag for the text result of {test}",
        "result_already_reported": "{test} already has its result; correct the report to change it",
        "import_too_large": "The file is too large (at most {limit} bytes): export it in parts",
        "import_too_many_rows": "Too many rows (at most {limit}): export them in parts",
        "import_encoding": "Unknown encoding: export the file as UTF-8 or GBK/GB18030",
        "import_not_csv": "This is not a CSV file",
        "import_empty": "The file is empty",
        "import_column_unknown": "Unknown columns: {columns}",
        "import_column_missing": "Required columns missing: {columns}",
        "import_not_found": "No such import",
        "import_committed": "This file was imported already",
        "import_no_file": "Choose the CSV file to upload",
        "row_order_missing": "No order number or barcode",
        "row_unknown_item": "Not a test of the lab catalogue",
        "row_bad_value": "The result is empty or too long",
        "row_bad_flag": "Unknown flag (N, H, L, critical)",
        "row_unit_mismatch": "The unit is not the catalogue's",
        "row_bad_range": "Unreadable reference range",
        "row_flag_required": "A text result needs its flag",
        "row_bad_time": "Unreadable report time",
        "row_not_ordered": "This test was not ordered on that order",
        "row_not_received": "The specimen was not received (or was rejected)",
        "row_already_reported": "This test has its result already; correct the report to change it",
        "row_duplicate": "The same test of the same order twice in the file",
        "order_unknown": "The hub does not know this order: to the exceptions list",
        "order_cancelled": "The order was cancelled: to the exceptions list",
        "result_not_reported": "{test} has no result yet to correct",
        "correction_unchanged": "The correction of {test} is the same as the result",
        "remote_deleted": "Remote request {request_no} was deleted by the clinic that sent it",
        "remote_taken": "Remote request {request_no} was answered by someone else meanwhile (now {state}); reload it",
        "not_video": "Only a video consultation is scheduled",
        "bad_fee": "The fee must be an amount in yuan, e.g. 30.00",
        "bad_month": "The month must look like YYYY-MM",
        "attachment_not_declared": "This attachment was not declared: declare its size and type first",
        "attachment_not_found": "Attachment not found",
        "attachment_type_not_allowed": "Attachment type not allowed: PDF, JPEG and PNG only",
        "attachment_type_mismatch": "The attachment's first bytes are not of the declared type",
        "attachment_too_large": "Attachment too large (limit {limit} bytes)",
        "attachment_empty": "The attachment is empty",
        "attachment_declared_otherwise": "This attachment was already declared with another size or type",
        "chunk_out_of_range": "Chunk index out of range ({total} chunks)",
        "chunk_wrong_size": "Chunk {index} must be {expected} bytes",
        "attachment_hash_mismatch": "The assembled attachment's SHA-256 does not match its name; its chunks were dropped, upload it again",
        "attachments_incomplete": "The attachments have not all arrived ({received}/{total} chunks); report when they have",
        "conflict": "The request conflicts with the current state",
        "internal_error": "Internal server error",
    },
}


def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an Accept-Language header (Chinese unless English wins)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.strip().lower().split("-")[0]
        if language in LANGUAGES and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def message(code: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    table = MESSAGES.get(language, MESSAGES[DEFAULT_LANGUAGE])
    template = table.get(code) or MESSAGES["en"].get(code) or code
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
