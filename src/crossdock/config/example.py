"""The commented example hub file `crossdock init` writes (a test loads it)."""

EXAMPLE_HUB = """\
# crossdock.yaml: the hub file. Which systems exist, who owns which field,
# and which changes go where. Secrets are never written here: ${NAME} is read
# from the environment when the file is loaded.

store:
  # sqlite:///path (default, embedded) or postgresql://user@host:5432/db
  url: sqlite:///crossdock.sqlite

systems:
  # The ERP drops export files into a folder; the files connector maps columns
  # to canonical fields and native codes (units, warehouses, statuses) to ours.
  - name: erp
    kind: files
    settings:
      inbox: ./drop/erp
      mappings:
        - pattern: "items*.csv"
          entity: product
          id: ITEMNO
          columns:
            ITEMNO: sku
            DESCRIPTION: description
            UOM: base_uom
            CASE_QTY: units[0].factor
            COST: cost
            GTIN: identifiers.gtin
            STATUS: status
          defaults:
            units[0].code: CS
            currency: USD
          values:
            base_uom: {EA: EA, EACH: EA, CS: CS}
            status: {A: active, I: inactive, D: discontinued}   # the route below sends active ones
        - pattern: "stock*.csv"
          entity: inventory
          id: [ITEMNO, WHSE]
          columns: {ITEMNO: sku, WHSE: location, ONHAND: on_hand, ALLOC: allocated}
          values:
            location: {"01": DAL, "02": ATL}   # an unmapped warehouse becomes an exception

  # The B2B portal: receives changes as signed webhooks (Standard Webhooks) and
  # sends its own (contacts, channel listings) to POST /v1/webhooks/portal.
  - name: portal
    kind: webhook
    settings:
      url: https://portal.example.com/crossdock/hooks
      secret_env: PORTAL_WEBHOOK_SECRET     # whsec_... in the environment
    # As a destination: at most 50 deliveries a second (bursts of 200), and stop
    # pushing for 30 s after 5 failed pushes in a row, then probe once.
    rate_limit: {per_second: 50, burst: 200}
    circuit: {failures: 5, open_seconds: 30}

  # The WMS reads item and stock files we export.
  - name: wms
    kind: files
    settings:
      export_dir: ./export/wms
      export_format: jsonl

ownership:
  # Per entity: the system of record, per-field owners by path glob (most
  # specific wins), and what happens when a non-owner sends a value:
  # reject (exception), ignore (dropped), propose (a person approves).
  product:
    owner: erp
    fields:
      channels: portal
    non_owner: reject
  customer:
    owner: erp
    fields:
      contacts: portal
    non_owner: propose
  inventory:
    owner: erp

routes:
  - name: products-to-portal
    entities: [product]
    destination: portal
    fields: [sku, description, base_uom, units, identifiers, status]
    filter: {status: [active]}
    batch_size: 500
    batch_wait_seconds: 0  # > 0: hold a partial batch until its oldest change is this old
    partitions: 4          # ordered per product; up to 4 workers push in parallel
    retry: {attempts: 5, base_seconds: 0.5, cap_seconds: 60}
  - name: stock-to-wms
    entities: [inventory]
    destination: wms
    fields: [sku, location, on_hand, allocated]
  - name: stock-to-portal          # what the portal may promise, per warehouse and channel
    entities: [inventory]
    destination: portal
    fields: [sku, location, available, available_by_channel]

# Keys (crossdock keys create NAME --system portal | --role steward): what each role
# and system may do. Unnamed systems read and write every entity.
# access:
#   roles: {catalog: {operations: [read], entities: [product, price_list]}}
#   systems: {portal: {operations: [read, write], entities: [customer, inventory]}}

masking:
  # The portal faces customers: it never sees cost, credit limits or payment terms
  # (through its key, the feed, price explanations or any route).
  channels: [portal]

# Customers no crosswalk entry or account number identifies are matched against the
# store: linked at or above upper (bits), held for review between, created below.
# New accounts from the CRM or portal (no account number yet) are onboarded: duplicate
# check, credit, tax exemption, territory and rep, the ERP party, the account number back.
# A merge keeps each field's value by the ownership matrix, then this priority, then
# recency, then completeness. Approvals: four eyes on credit-limit increases above
# an amount or a percentage, payment terms, tax exemption and bank details, from
# any system; approved by someone other than the requester, applied through ingest.
# customers:
#   upper: 12
#   lower: 6
#   survivorship: {priority: [erp, crm, portal]}
#   approvals: {credit_limit_increase: 10000, credit_limit_increase_pct: 25,
#               fields: [payment_terms, tax_exempt, bank_account]}
#   onboarding:
#     sources: [portal]                 # its self-registrations
#     erp: erp
#     auto_approve_credit: "10000"      # above this a person approves
#     territories:                      # first match wins: postcode ranges or regions
#       - {name: midwest, rep: jdoe, postcodes: ["60000-62999"], regions: [IL, WI]}
#       - {name: house, rep: desk}
#     default_territory: house
# throttle: {per_key: {per_second: 500, burst: 1000}}
# retention: {events_days: 90, audit_days: 730, archive: ./archive}
# tracing: {export: otlp}          # spans to OTEL_EXPORTER_OTLP_ENDPOINT
# alerts:
#   send_to: [pager]               # a webhook system
#   rules:
#     - {name: portal-behind, kind: route_lag, route: products-to-portal, over: 300}
#     - {name: erp-quiet, kind: freshness, system: erp, over: 30}
#     - {name: onboarding-stuck, kind: onboarding_stuck, over: 60}   # minutes unmoved

availability:
  # Stock files from the ERP reach available-to-promise at once (the ERP is a
  # snapshot feed; a system named under feeds: {wms: wms} would count instead).
  locations: [DAL, ATL]            # known warehouses, in default preference order
  regions: {TX: [DAL, ATL], GA: [ATL, DAL]}
  channels:
    - {name: web, safety_stock: "2"}   # held back from the web shop at each warehouse
  reservation_ttl_seconds: 900

pricing:
  # Which rule wins when several price a line: the first kind in this order;
  # a kind in if_lower wins over later ones only when cheaper. mode: lowest
  # takes the lowest eligible price instead. Ties: list priority (higher
  # first), then the lower price, then the list code.
  mode: order
  precedence: [override, contract, customer, promotion, tier, base, list_price]
  if_lower: [promotion]
  # The winner's price is raised to cost plus this margin when below it,
  # unless its kind is exempt here (or its list says margin_floor_exempt).
  margin_floor_percent: "0"
  margin_floor_exempt: [contract]
  default_currency: USD
  rates:
    - {from: USD, to: CAD, rate: "1.35"}
  # Keep these customers' prices as customer_price records; a route with
  # entities: [customer_price] then delivers every price a change moves.
  # publish:
  #   - {channel: web, groups: [gold]}
"""

__all__ = ["EXAMPLE_HUB"]
