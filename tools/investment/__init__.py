"""Investment promotion (招商): sample sites across Minhang, industry packages (一业一策) and site recommendation."""

from tools.investment.catalog import load_industry_packages, load_sites
from tools.investment.models import IndustryPackage, InvestmentDataError, RentRange, Site
from tools.investment.recommend import (
    Exclusion,
    Recommendation,
    explain_exclusions,
    industry_package,
    monthly_rent_range,
    recommend_sites,
)

__all__ = [
    "Exclusion",
    "IndustryPackage",
    "InvestmentDataError",
    "Recommendation",
    "RentRange",
    "Site",
    "explain_exclusions",
    "industry_package",
    "load_industry_packages",
    "load_sites",
    "monthly_rent_range",
    "recommend_sites",
]
