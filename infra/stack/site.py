"""The site and the edge: admin page and widget from a private bucket behind
CloudFront, the API under /api on the same origin (API Gateway's stage is
`api`, so paths map through), and the access-log bucket."""

from __future__ import annotations

from infra.stack import iam
from infra.stack.data import bucket, expiry
from infra.stack.naming import RETAINED_STAGES, importable, names

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CloudFront managed cache policies
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # origin request policy: API Gateway wants its own Host
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"  # response headers policy SecurityHeadersPolicy


def resources(stage: str) -> dict:
    n, retain = names(stage), stage in RETAINED_STAGES
    cloudfront_reads = iam.allow(
        "s3:GetObject",
        {"Fn::Sub": "${StaticSiteBucket.Arn}/*"},
        sid="CloudFrontReads",
        principal=iam.service("cloudfront.amazonaws.com"),
        condition={
            "StringEquals": {
                "AWS:SourceArn": {
                    "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${StaticSite}"
                }
            }
        },
    )
    return {
        "StaticSiteBucket": bucket(
            retain,
            LoggingConfiguration={"DestinationBucketName": {"Ref": "AccessLogsBucket"}, "LogFilePrefix": "s3/static/"},
        ),
        "StaticSiteBucketPolicy": iam.bucket_policy("StaticSiteBucket", cloudfront_reads),
        "StaticSiteAccess": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {
                "OriginAccessControlConfig": {
                    "Name": f"{n['app']}-static",
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            },
        },
        "SiteHeaders": site_headers(n["app"]),
        "StaticSite": distribution(stage),
        **access_logs(retain),
    }


def access_logs(retain: bool) -> dict:
    """Access logs of the buckets and the distribution. CloudFront's standard
    logs are written with an ACL, hence BucketOwnerPreferred here only."""
    logs = bucket(
        retain,
        not_logged="the access-log bucket does not log its own access",
        OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]},
        LifecycleConfiguration=expiry("expire-logs", days=90, noncurrent_days=1),
    )
    s3_logs = iam.allow_service(
        "logging.s3.amazonaws.com", "s3:PutObject", {"Fn::Sub": "${AccessLogsBucket.Arn}/s3/*"}, "S3Logs"
    )
    return {"AccessLogsBucket": logs, "AccessLogsBucketPolicy": iam.bucket_policy("AccessLogsBucket", s3_logs)}


def distribution(stage: str) -> dict:
    return {
        "Type": "AWS::CloudFront::Distribution",
        "Properties": {
            "DistributionConfig": {
                "Enabled": True,
                "Comment": f"Careline {stage}: admin page, widget and API",
                "Logging": {
                    "Bucket": {"Fn::GetAtt": ["AccessLogsBucket", "DomainName"]},
                    "Prefix": "cloudfront/",
                    "IncludeCookies": False,
                },
                "DefaultRootObject": "admin/index.html",
                "HttpVersion": "http2and3",
                "IPV6Enabled": True,
                "ViewerCertificate": {"CloudFrontDefaultCertificate": True},
                "Origins": [
                    {
                        "Id": "static",
                        "DomainName": {"Fn::GetAtt": ["StaticSiteBucket", "RegionalDomainName"]},
                        "OriginAccessControlId": {"Fn::GetAtt": ["StaticSiteAccess", "Id"]},
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    },
                    {
                        "Id": "api",
                        "DomainName": {"Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"},
                        "CustomOriginConfig": {"OriginProtocolPolicy": "https-only", "OriginSSLProtocols": ["TLSv1.2"]},
                    },
                ],
                "DefaultCacheBehavior": {
                    "TargetOriginId": "static",
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "CachePolicyId": CACHING_OPTIMIZED,
                    "ResponseHeadersPolicyId": {"Ref": "SiteHeaders"},
                    "AllowedMethods": ["GET", "HEAD"],
                    "Compress": True,
                },
                "CacheBehaviors": [
                    {
                        "PathPattern": "/api/*",
                        "TargetOriginId": "api",
                        "ViewerProtocolPolicy": "https-only",
                        "CachePolicyId": CACHING_DISABLED,
                        "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST,
                        "ResponseHeadersPolicyId": SECURITY_HEADERS,
                        "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
                        "Compress": True,
                    }
                ],
            }
        },
    }


def site_headers(app: str) -> dict:
    """The admin page's and widget's headers in AWS: the same policy `make run`
    sends (chalicelib/api/http.py), calls allowed to their own origin (the API
    is /api), the hosted sign-in's token endpoint and the attachments bucket
    (replies' uploads; botocore signs for the global or the regional name)."""
    importable()
    from chalicelib.api.http import static_site_headers

    site = static_site_headers(
        "https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com",
        "https://${AttachmentsBucket}.s3.amazonaws.com",
        "https://${AttachmentsBucket}.s3.${AWS::Region}.amazonaws.com",
    )
    return {
        "Type": "AWS::CloudFront::ResponseHeadersPolicy",
        "Properties": {
            "ResponseHeadersPolicyConfig": {
                "Name": f"{app}-site",
                "Comment": "Careline admin page and widget",
                "SecurityHeadersConfig": {
                    "ContentSecurityPolicy": {
                        "ContentSecurityPolicy": {"Fn::Sub": site["Content-Security-Policy"]},
                        "Override": True,
                    },
                    "ContentTypeOptions": {"Override": True},
                    "FrameOptions": {"FrameOption": site["X-Frame-Options"], "Override": True},
                    "ReferrerPolicy": {"ReferrerPolicy": site["Referrer-Policy"], "Override": True},
                    "StrictTransportSecurity": {
                        "AccessControlMaxAgeSec": 63072000,
                        "IncludeSubdomains": True,
                        "Override": True,
                    },
                },
            }
        },
    }
