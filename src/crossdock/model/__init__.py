"""The canonical model: the entities the hub keeps, their value types and their changes.

Import from here rather than from the modules: this is the public face of
the model (``__all__``); the modules' other names may move.
"""

from crossdock.model.base import CanonicalEntity, CanonicalModel, EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.model.customer import BankAccount, Customer, CustomerStatus, Site, SiteRole, TaxId
from crossdock.model.customer_price import CustomerPrice
from crossdock.model.inventory import InboundKind, InboundReceipt, InventoryPosition
from crossdock.model.invoice import Invoice, InvoiceLine, InvoiceStatus
from crossdock.model.order import (
    ALLOWED_TRANSITIONS,
    Order,
    OrderLine,
    OrderLineStatus,
    OrderStatus,
    Totals,
    can_transition,
)
from crossdock.model.paths import flatten, flatten_record, unflatten
from crossdock.model.price_list import (
    PriceBreak,
    PriceEntry,
    PriceList,
    PriceListKind,
    PriceMethod,
    Rounding,
    RoundingMode,
    Scope,
)
from crossdock.model.product import (
    Dimensions,
    Gtin,
    Identifiers,
    LengthUnit,
    Product,
    ProductRelationship,
    ProductStatus,
    RelationshipKind,
    SupplierCode,
    UnitConversion,
    UnknownUnitError,
    Weight,
    WeightUnit,
)
from crossdock.model.registry import ENTITY_MODELS, json_schemas, model_for
from crossdock.model.shipment import Shipment, ShipmentLine, ShipmentStatus
from crossdock.model.values import (
    Address,
    Contact,
    CountryCode,
    CurrencyCode,
    DecimalValue,
    Money,
    NonNegativeDecimal,
    PositiveDecimal,
    Quantity,
    UnitCode,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "ENTITY_MODELS",
    "Address",
    "BankAccount",
    "CanonicalEntity",
    "CanonicalModel",
    "Change",
    "ChangeOp",
    "Contact",
    "CountryCode",
    "CurrencyCode",
    "Customer",
    "CustomerPrice",
    "CustomerStatus",
    "DecimalValue",
    "Dimensions",
    "EntityType",
    "Gtin",
    "Identifiers",
    "InboundKind",
    "InboundReceipt",
    "InventoryPosition",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "LengthUnit",
    "Money",
    "NonNegativeDecimal",
    "Order",
    "OrderLine",
    "OrderLineStatus",
    "OrderStatus",
    "PositiveDecimal",
    "PriceBreak",
    "PriceEntry",
    "PriceList",
    "PriceListKind",
    "PriceMethod",
    "Product",
    "ProductRelationship",
    "ProductStatus",
    "Quantity",
    "RelationshipKind",
    "Rounding",
    "RoundingMode",
    "Scope",
    "Shipment",
    "ShipmentLine",
    "ShipmentStatus",
    "Site",
    "SiteRole",
    "SupplierCode",
    "TaxId",
    "Totals",
    "UnitCode",
    "UnitConversion",
    "UnknownUnitError",
    "Weight",
    "WeightUnit",
    "can_transition",
    "flatten",
    "flatten_record",
    "json_schemas",
    "model_for",
    "unflatten",
]
