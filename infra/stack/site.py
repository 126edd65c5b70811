"""The site and the edge: admin page and widget from a private bucket behind
CloudFront, the API under /api on the same origin (API Gateway's stage is
`api`, so paths map through), and the access-log bucket."""

from __future__ import annotations

from infra.stack import iam
from infra.stack.data import bucket, expiry
from infra.stack.naming import importable, names, stack_uuid

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CloudFront managed cache policies
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # origin request policy: API Gateway wants its own Host
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"  # response headers policy SecurityHeadersPolicy


def resources(stage: str) -> dict:
    n = names(stage)
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
        "ViewerAddress": viewer_address(n["app"]),
        "StaticSite": distribution(stage),
        **access_logs(),
    }


def viewer_address(app: str) -> dict:
    """API Gateway sees CloudFront's address, not the customer's, and the
    origin request policy that keeps the viewer's Host out (API Gateway needs
    its own) forwards no CloudFront-* header: this function hands the API the
    viewer's address, overwriting whatever the viewer sent under that name."""
    importable()
    from chalicelib.api.http import VIEWER_ADDRESS

    code = (
        "function handler(event) {\n"
        "  var request = event.request;\n"
        f"  request.headers['{VIEWER_ADDRESS}'] = {{value: event.viewer.ip}};\n"
        "  return request;\n"
        "}\n"
    )
    return {
        "Type": "AWS::CloudFront::Function",
        "Properties": {
            "Name": f"{app}-viewer-address",
            "AutoPublish": True,
            "FunctionConfig": {
                "Comment": "The viewer's address for the API's per-sender limit",
                "Runtime": "cloudfront-js-2.0",
            },
            "FunctionCode": code,
        },
    }


def access_logs() -> dict:
    """Access logs of the buckets and the distribution. CloudFront's standard
    logs are written with an ACL, hence BucketOwnerPreferred here only."""
    logs = bucket(
        not_logged="the access-log bucket does not log its own access",
        OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]},
        LifecycleConfiguration=expiry("expire-logs", days=90, noncurrent_days=1),
    )
    s3_logs = iam.allow_service(
        "logging.s3.amazonaws.com", "s3:PutObject", {"Fn::Sub": "${AccessLogsBucket.Arn}/s3/*"}, "S3Logs"
    )
    return {"AccessLogsBucket": logs, "AccessLogsBucketPolicy": iam.bucket_policy("AccessLogsBucket", s3_logs)}


def distribution(stage: str) -> dict:
    """The shop's own domain when infra/deploy.py found its certificate (parameter
    SiteCertificateArn, us-east-1), else CloudFront's."""
    importable()
    from chalicelib.api.http import ORIGIN_SECRET

    own_domain = {
        "AcmCertificateArn": {"Ref": "SiteCertificateArn"},
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    host = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "SiteUrl"}]}]}  # https://<host>
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
                "Aliases": {"Fn::If": ["HasOwnDomain", [host], {"Ref": "AWS::NoValue"}]},
                "ViewerCertificate": {"Fn::If": ["HasOwnDomain", own_domain, {"CloudFrontDefaultCertificate": True}]},
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
                        # What a request sent around CloudFront lacks (the functions know it too).
                        "OriginCustomHeaders": [{"HeaderName": ORIGIN_SECRET, "HeaderValue": stack_uuid()}],
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
                        "FunctionAssociations": [
                            {
                                "EventType": "viewer-request",
                                "FunctionARN": {"Fn::GetAtt": ["ViewerAddress", "FunctionARN"]},
                            }
                        ],
                    }
                ],
            }
        },
    }


def site_headers(app: str) -> dict:
    """The admin page's and widget's headers in AWS: the same policy `make run`
    sends (chalicelib/api/http.py; CloudFront adds it to whatever it forwards
    from the bucket, a missing file's 403 as well), calls allowed to their own origin (the API
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
