"""The app portal (统一应用门户): one static page per company listing the apps its people may use.

Keycloak's account console lists applications, but not by audience: a client shown there
(``alwaysDisplayInConsole``) is shown to everyone, and one not shown appears only once a person has used it. So
groupid writes a page per company instead, from the spec: each app whose audience reaches people of that
company, with its Chinese name, description, owner and launch URL. Every page is one self-contained HTML file
(inline style, no script, nothing loaded from the network), every value escaped.

Who the spec's audience reaches in a company: everyone, for an app without an audience; the company's people,
when the audience names the company or a company above it (subsidiaries are included), or one of its
departments; and, for an audience of roles, the company's people when the company, one of its departments or
the group's default roles grant such a role (or one that includes it). Keycloak still decides at sign-in.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from groupid.model import App, Company, Group

INDEX = "index.html"
"""The page that lists every company's page."""

STYLE = """
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:2rem auto;max-width:60rem;color:#222;padding:0 1rem}
h1{font-size:1.5rem}ul{list-style:none;padding:0}
li{border:1px solid #ddd;border-radius:.5rem;padding:.75rem 1rem;margin:.5rem 0}
li a{font-size:1.1rem;font-weight:600;text-decoration:none;color:#0b57d0}
.meta{color:#666;font-size:.85rem}.none{color:#666}
"""


def portal_pages(group: Group) -> dict[str, str]:
    """The portal's pages, by file name: ``<company code>.html`` for each company, and ``index.html``."""
    pages = {f"{company.code}.html": _page(group, company) for company in group.companies}
    pages[INDEX] = _index(group)
    return pages


def apps_for(group: Group, company: Company) -> list[App]:
    """The apps whose audience reaches people of ``company``, in the spec's order."""
    return [app for app in group.apps if _reaches(group, app, company)]


def _reaches(group: Group, app: App, company: Company) -> bool:
    audience = app.audience
    if audience.everyone:
        return True
    if set(_lineage(group, company)) & set(audience.companies):
        return True
    departments = [d for d in group.departments if d.company == company.code]
    if {d.code for d in departments} & set(audience.departments):
        return True
    granted = {*company.roles, *group.default_roles, *(ref for d in departments for ref in d.roles)}
    return bool(_included(group, granted) & set(audience.roles))


def _lineage(group: Group, company: Company) -> Iterable[str]:
    """The codes of ``company`` and of every company above it."""
    by_code = {c.code: c for c in group.companies}
    seen: set[str] = set()
    current: Company | None = company
    while current is not None and current.code not in seen:
        seen.add(current.code)
        yield current.code
        current = by_code.get(current.parent) if current.parent else None


def _included(group: Group, roles: set[str]) -> set[str]:
    """``roles`` and every role they include, however deep."""
    composites = {role.name: role.composites for role in group.roles}
    found, pending = set(), list(roles)
    while pending:
        role = pending.pop()
        if role not in found:
            found.add(role)
            pending += composites.get(role, [])
    return found


def _document(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">\n'
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n")


def _page(group: Group, company: Company) -> str:
    owners = {c.code: c.name for c in group.companies}
    items = []
    for app in apps_for(group, company):
        url = app.launch_url or app.base_url
        name = escape(app.name or app.id)
        title = f'<a href="{escape(url)}" rel="noopener noreferrer">{name}</a>' if url else name
        owner = owners.get(app.owner, app.owner) if app.owner else group.name
        meta = f'<div class="meta">{escape(owner)}' + (f" · {escape(url)}" if url else "") + "</div>"
        description = f"<div>{escape(app.description)}</div>" if app.description else ""
        items.append(f"<li>{title}{description}{meta}</li>")
    listing = "<ul>\n" + "\n".join(items) + "\n</ul>\n" if items else '<p class="none">暂无可用应用</p>\n'
    heading = f"{company.name} · 统一应用门户"
    return _document(heading, f"<h1>{escape(heading)}</h1>\n{listing}"
                              f'<p class="meta"><a href="{INDEX}">全部公司</a></p>\n')


def _index(group: Group) -> str:
    items = [f'<li><a href="{escape(company.code)}.html">{escape(company.name)}</a>'
             f'<div class="meta">{len(apps_for(group, company))} 个应用</div></li>' for company in group.companies]
    heading = f"{group.name} · 统一应用门户"
    return _document(heading, f"<h1>{escape(heading)}</h1>\n<ul>\n" + "\n".join(items) + "\n</ul>\n")
